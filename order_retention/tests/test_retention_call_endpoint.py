import json

from odoo.tests import HttpCase, tagged

URL = "/order_retention/calls"


@tagged("post_install", "-at_install", "order_retention")
class TestCallEndpoint(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.us")
        cls.other_company = cls.env["res.company"].create(
            {"name": "Other Retention Co", "country_id": cls.env.ref("base.us").id}
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Endpoint Customer", "is_company": True, "phone": "+1 650-253-0000"}
        )
        cls.token = cls.company._retention_generate_pbx_token()
        cls.other_token = cls.other_company._retention_generate_pbx_token()

    def _post(self, body, token=None, raw=False):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer %s" % token
        return self.url_open(URL, data=body if raw else json.dumps(body), headers=headers)

    def _call(self, call_id, **over):
        return dict(
            {
                "call_id": call_id,
                "number": "+1 650 253 0000",
                "direction": "outbound",
                "start": "2026-01-05T10:00:00Z",
                "duration": 42,
            },
            **over,
        )

    def test_no_token(self):
        """Without a token: 401 with a message saying what to send."""
        response = self._post(self._call("E0"))
        self.assertEqual(response.status_code, 401)
        self.assertIn("Bearer", response.json()["error"])

    def test_wrong_and_revoked_token(self):
        """A wrong token and a revoked one are refused (401)."""
        self.assertEqual(self._post(self._call("E1"), token="not-the-token").status_code, 401)
        token = self.company._retention_generate_pbx_token()
        self.company._retention_revoke_pbx_token()
        self.assertEqual(self._post(self._call("E1"), token=token).status_code, 401)

    def test_archived_company(self):
        """A token of an archived company is forbidden (403)."""
        self.other_company.active = False
        self.assertEqual(self._post(self._call("E9"), token=self.other_token).status_code, 403)

    def test_other_company_token(self):
        """Another company's token files the call under that company only."""
        response = self._post(self._call("SAME-ID"), token=self.other_token)
        self.assertEqual(response.json()["created"], 1)
        call = self.env["retention.call"].search([("external_id", "=", "SAME-ID")])
        self.assertEqual(call.company_id, self.other_company)
        response = self._post(self._call("SAME-ID"), token=self.token)
        self.assertEqual(response.json()["created"], 1, "same PBX id in another company is another call")

    def test_created_duplicate_and_partial_batch(self):
        """One call, then a batch mixing duplicates, good and bad rows: good rows kept, bad ones explained."""
        token = self.company._retention_generate_pbx_token()
        first = self._post(self._call("E2"), token=token)
        self.assertEqual(first.status_code, 200)
        self.assertEqual(first.json(), {"created": 1, "duplicate": 0, "rejected": 0, "errors": []})
        call = self.env["retention.call"].search([("external_id", "=", "E2")])
        self.assertRecordValues(
            call, [{"partner_id": self.customer.id, "duration_seconds": 42, "source": "pbx", "verified": True}]
        )
        batch = [
            self._call("E2"),
            self._call("E3"),
            self._call("E4", start="tomorrow"),
            self._call("E5", duration=-3),
            "junk",
        ]
        result = self._post(batch, token=token).json()
        self.assertEqual((result["created"], result["duplicate"], result["rejected"]), (1, 1, 3))
        self.assertEqual([e["index"] for e in result["errors"]], [2, 3, 4])
        self.assertIn("start", result["errors"][0]["reason"])

    def test_malformed_json(self):
        """Malformed JSON and a wrong top-level type are 400 with the reason."""
        token = self.company._retention_generate_pbx_token()
        response = self._post("{not json", token=token, raw=True)
        self.assertEqual(response.status_code, 400)
        self.assertIn("malformed JSON", response.json()["error"])
        self.assertEqual(self._post(42, token=token).status_code, 400)

    def test_too_many_rows(self):
        """More than 5000 calls in one request: 413, nothing created."""
        token = self.company._retention_generate_pbx_token()
        response = self._post([self._call("B%s" % i) for i in range(5001)], token=token)
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.env["retention.call"].search_count([("external_id", "=like", "B%")]))
