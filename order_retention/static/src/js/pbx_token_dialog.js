/** @odoo-module **/
// A new PBX or telephony provider token, shown once in a dialog with a copy button (Settings > Generate new
// token, Telephony providers > Generate token).
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
        // providers that send no header (Binotel, Ringostat) carry the token in the URL they are given
        this.url = params.url || "";
        this.copyText = _t("Copy");
        this.successText = _t("Copied");
    }

    selectAll(ev) {
        ev.target.select();
    }
}

registry.category("actions").add("order_retention.pbx_token_dialog", PbxTokenDialog);
