/** @odoo-module **/
// Call durations stored in seconds, read as m:ss (h:mm:ss from an hour), in lists, list footers,
// read-only fields and pivots: <field name="duration_seconds" widget="retention_duration"/>.
import { registry } from "@web/core/registry";
import { IntegerField, integerField } from "@web/views/fields/integer/integer_field";

export function formatRetentionDuration(value) {
    if (value === false || value === null || value === undefined) {
        return "";
    }
    const total = Math.round(Math.abs(value));
    const sign = value < 0 ? "-" : "";
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = String(total % 60).padStart(2, "0");
    if (hours) {
        return `${sign}${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
    }
    return `${sign}${minutes}:${seconds}`;
}

export class RetentionDurationField extends IntegerField {
    get formattedValue() {
        if (!this.props.readonly) {
            return super.formattedValue; // typed in seconds
        }
        return formatRetentionDuration(this.value);
    }
}

registry.category("formatters").add("retention_duration", formatRetentionDuration);
registry.category("fields").add("retention_duration", {
    ...integerField,
    component: RetentionDurationField,
    displayName: "Duration (m:ss)",
});
