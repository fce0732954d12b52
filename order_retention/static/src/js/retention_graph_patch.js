/** @odoo-module **/
// Graphs of the retention screens: one colour per status (the kanban's: active green, warm orange,
// cold blue, lost grey, as the list decorations and badges), and whole numbers on the axis of counts.
import { GraphRenderer } from "@web/views/graph/graph_renderer";
import { patch } from "@web/core/utils/patch";

export const STATUS_COLORS = {
    active: "#61c36e",
    warm: "#dc8534",
    cold: "#5794dd",
    lost: "#a2a2a2",
};
const STATUS_FIELDS = ["retention_status", "new_status", "old_status", "status"];
const RETENTION_MODELS = [
    "res.partner",
    "mail.activity",
    "retention.status.history",
    "retention.call",
    "retention.cancel.report",
    "retention.cancel.line.report",
    "retention.cancel.rate.report",
];

patch(GraphRenderer.prototype, {
    /** {label: colour} of the status field grouped on, or null. */
    retentionStatusColors() {
        const { fields, groupBy, resModel } = this.model.metaData;
        if (!RETENTION_MODELS.includes(resModel)) {
            return null;
        }
        const statusGroup = groupBy.find((gb) => STATUS_FIELDS.includes(gb.fieldName));
        const selection = statusGroup && fields[statusGroup.fieldName]?.selection;
        if (!selection) {
            return null;
        }
        return Object.fromEntries(
            selection
                .filter(([value]) => STATUS_COLORS[value])
                .map(([value, label]) => [label, STATUS_COLORS[value]])
        );
    },

    retentionColorize(data, mode) {
        const colors = this.retentionStatusColors();
        if (!colors) {
            return data;
        }
        const datasets = data.datasets || [];
        if (mode !== "pie" && datasets.some((dataset) => colors[dataset.label])) {
            // datasets come in order of first appearance: put them in status order (Active -> Lost)
            const order = Object.keys(colors);
            const rank = (dataset) => {
                const index = order.indexOf(dataset.label);
                return index < 0 ? order.length : index;
            };
            datasets.sort((a, b) => rank(a) - rank(b));
            for (const dataset of datasets) {
                const color = colors[dataset.label];
                if (color) {
                    dataset.backgroundColor = mode === "line" ? `${color}33` : color;
                    dataset.borderColor = color;
                    if (mode === "line") {
                        dataset.pointBackgroundColor = color;
                    }
                }
            }
        } else if ((data.labels || []).some((label) => colors[label])) {
            for (const dataset of datasets) {
                const perLabel = data.labels.map(
                    (label, index) =>
                        colors[label] ||
                        (Array.isArray(dataset.backgroundColor)
                            ? dataset.backgroundColor[index]
                            : dataset.backgroundColor)
                );
                dataset.backgroundColor = perLabel;
                if (mode !== "pie") {
                    dataset.borderColor = perLabel;
                }
            }
        }
        return data;
    },

    getBarChartData() {
        return this.retentionColorize(super.getBarChartData(...arguments), "bar");
    },

    getLineChartData() {
        return this.retentionColorize(super.getLineChartData(...arguments), "line");
    },

    getPieChartData() {
        return this.retentionColorize(super.getPieChartData(...arguments), "pie");
    },

    getLegendOptions() {
        const options = super.getLegendOptions(...arguments);
        const colors = this.retentionStatusColors();
        if (colors && this.model.metaData.mode === "pie" && options.labels?.generateLabels) {
            const generate = options.labels.generateLabels;
            options.labels.generateLabels = (chart) =>
                generate(chart).map((item) => ({
                    ...item,
                    fillStyle: colors[item.fullText] || item.fillStyle,
                }));
        }
        return options;
    },

    getScaleOptions() {
        const scales = super.getScaleOptions(...arguments);
        const { fields, fieldAttrs, measure, resModel } = this.model.metaData;
        const counts =
            measure === "__count" || ["integer", "many2one"].includes(fields[measure]?.type);
        if (scales.y && counts && RETENTION_MODELS.includes(resModel) && !fieldAttrs[measure]?.widget) {
            scales.y.ticks.precision = 0;
            scales.y.ticks.callback = (value) => this.formatValue(value, true);
        }
        return scales;
    },
});
