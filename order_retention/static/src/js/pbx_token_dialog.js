/** @odoo-module **/
// The new PBX token, shown once in a dialog with a copy button (Settings > Generate new token).
// The clear token only exists in this action's params: the server stores its hash.
import { Component } from "@odoo/owl";
import { CopyButton } from "@web/core/copy_button/copy_button";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

export class PbxTokenDialog extends Component {
    static template = "order_retention.PbxTokenDialog";
    static components = { CopyButton };
    static props = ["*"];

    setup() {
        const params = this.props.action.params || {};
        this.token = params.token || "";
        this.endpoint = params.endpoint || "/order_retention/calls";
        this.copyText = _t("Copy");
        this.successText = _t("Copied");
    }

    selectAll(ev) {
        ev.target.select();
    }
}

registry.category("actions").add("order_retention.pbx_token_dialog", PbxTokenDialog);
