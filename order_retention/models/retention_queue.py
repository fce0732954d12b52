"""The retention-call queue: who gets a call tonight, who waits, who gets an e-mail instead.

Every night, after the statuses are computed (retention.cycle), ``_retention_allocate``:

1. lists the customers who need a follow-up (warm, cold or lost; the status interval passed since their last
   retention call; none open) and sorts out those who left the call queue (stopping rules: unanswered calls in
   a row, a silence past the limit of Settings, a reason such as *one-time purchase*);
2. finds whose queue each one is in (salesperson, else team leader, else the user of Settings: the first who
   can work retention calls in the customer's company) and the free slots of each queue (capacity minus the
   open retention calls);
3. fills the free slots with the best customers by *call worth* = value at risk x win-back chance
   (tools/queue_priority.py), each call saying why it was chosen; the others wait, ranked;
4. queues the low-touch e-mail or SMS of Settings for the waiting and stopped customers, once per interval.

The work is bounded by the team: at most the sum of the capacities in calls, at most the nightly message cap in
messages; the base only costs a few set-based statements.
"""

import logging
import time

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_amount

from ..tools import queue_priority as qp
from . import retention_policy as policy
from .res_config_settings import retention_param
from .retention_cycle import FOLLOWUP_STATUSES, INTERVAL_PARAMS
from .retention_text import count_phrase

_logger = logging.getLogger(__name__)

SALESMAN_GROUP = "sales_team.group_sale_salesman"


def capacity_sql():
    """SQL of (user_id, capacity) for every user: the largest retention-call capacity of their active memberships
    of active sales teams that are not opted out; 0 when every such membership is opted out; the retention-call
    capacity of their main company when they have none. The queue and the workload view both read it."""
    return SQL(
        """
        SELECT u.id AS user_id,
               CASE WHEN count(m.id) = 0 THEN max(c.retention_call_capacity)
                    ELSE COALESCE(max(m.retention_call_capacity)
                         FILTER (WHERE NOT COALESCE(m.retention_call_optout, false)), 0) END AS capacity
          FROM res_users u
          JOIN res_company c ON c.id = u.company_id
          LEFT JOIN (crm_team_member m JOIN crm_team t ON t.id = m.crm_team_id AND t.active)
                 ON m.user_id = u.id AND m.active
         GROUP BY u.id
        """
    )


class RetentionQueue(models.AbstractModel):
    _name = "retention.queue"
    _description = "Retention Call Queue"

    # ------------------------------------------------------------------
    # WHO CAN WORK RETENTION CALLS, AND HOW MANY
    # ------------------------------------------------------------------

    @api.model
    def _retention_capacities(self, user_ids=None):
        """{user id: capacity} of the users who can work retention calls (active internal salespeople), all or
        ``user_ids``: the largest capacity of their sales-team memberships that are not opted out; 0 when every
        membership is opted out; the company default of their main company without any membership."""
        # raw SQL below: write what the ORM still holds first (a capacity or an opt-out changed in this transaction)
        self.env["crm.team.member"].flush_model(
            ["user_id", "crm_team_id", "active", "retention_call_capacity", "retention_call_optout"]
        )
        self.env["crm.team"].flush_model(["active"])
        self.env["res.company"].flush_model(["retention_call_capacity"])
        self.env["res.users"].flush_model(["active", "share", "company_id", "groups_id"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT cap.user_id, cap.capacity FROM (%s) cap
              JOIN res_users u ON u.id = cap.user_id
             WHERE u.active AND NOT u.share %s
               AND u.id IN (SELECT uid FROM res_groups_users_rel WHERE gid = %s)
            """,
                capacity_sql(),
                SQL("AND u.id IN %s", tuple(user_ids)) if user_ids is not None else SQL(""),
                self.env.ref(SALESMAN_GROUP).id,
            )
        )
        return {user_id: max(int(capacity or 0), 0) for user_id, capacity in rows}

    @api.model
    def _retention_open_counts(self, user_ids=None):
        """{user id: open retention calls assigned to them}."""
        self.env["mail.activity"].flush_model(["user_id", "active", "activity_type_id", "res_model"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT a.user_id, count(*) FROM mail_activity a
             WHERE a.active AND a.res_model = 'res.partner' AND a.activity_type_id = %s %s
             GROUP BY a.user_id
            """,
                self.env["retention.cycle"]._retention_activity_type().id,
                SQL("AND a.user_id IN %s", tuple(user_ids)) if user_ids is not None else SQL(""),
            )
        )
        return dict(rows)

    @api.model
    def _retention_free_slots(self, user_ids=None):
        capacities = self._retention_capacities(user_ids)
        opened = self._retention_open_counts(list(capacities))
        return {user_id: capacity - opened.get(user_id, 0) for user_id, capacity in capacities.items()}

    # ------------------------------------------------------------------
    # WIN-BACK CHANCE
    # ------------------------------------------------------------------

    @api.model
    def _retention_winback_rates(self, today, company_id):
        """The win-back chance per silence band: learned from the retention calls whose 90-day window is over
        (days silent when called, ordered within the window?) once there are enough, else the default curve."""
        self.env["retention.call"].flush_model()
        self.env["sale.order"].flush_model(["state", "date_order", "partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT c.start::date - (
                       SELECT max(so.date_order)::date FROM sale_order so JOIN res_partner sp ON sp.id = so.partner_id
                        WHERE sp.commercial_partner_id = c.commercial_partner_id AND so.state = 'sale'
                          AND so.date_order < c.start),
                   EXISTS (SELECT 1 FROM sale_order so JOIN res_partner sp ON sp.id = so.partner_id
                            WHERE sp.commercial_partner_id = c.commercial_partner_id AND so.state = 'sale'
                              AND so.date_order >= c.start
                              AND so.date_order < c.start + make_interval(days => %(window)s))
              FROM retention_call c
             WHERE c.consumed_date IS NOT NULL AND c.commercial_partner_id IS NOT NULL
               AND c.start < %(cutoff)s AND c.company_id = %(company)s
            """,
                window=qp.WINBACK_WINDOW_DAYS,
                cutoff=fields.Date.subtract(today, days=qp.WINBACK_WINDOW_DAYS),
                company=company_id,
            )
        )
        return qp.learn_winback_rates((days, won) for days, won in rows if days is not None)

    # ------------------------------------------------------------------
    # THE NIGHTLY ALLOCATION
    # ------------------------------------------------------------------

    @api.model
    def _retention_candidates(self, today):
        """Rows of the customers who need a follow-up today in a company and have no open retention call there:
        (retention.customer id, status, value at risk, days silent, salesperson, company, restore order, stop,
        kept, reason, partner id)."""
        activity_type = self.env["retention.cycle"]._retention_activity_type()
        self.env["res.partner"].flush_model(["active", "user_id"])
        self.env["retention.customer"].flush_model()
        self.env["mail.activity"].flush_model(["active", "date_done", "res_id", "res_model", "activity_type_id"])
        self.env["res.company"].flush_model(list(INTERVAL_PARAMS.values()))
        # each company's own intervals (Settings of that company)
        interval = SQL(
            "CASE r.retention_status WHEN 'warm' THEN c.%s WHEN 'cold' THEN c.%s ELSE c.%s END",
            *(SQL.identifier(INTERVAL_PARAMS[status]) for status in FOLLOWUP_STATUSES),
        )
        return self.env.execute_query(
            SQL(
                """
            SELECT r.id, r.retention_status, COALESCE(r.retention_value_at_risk, 0),
                   %(today)s::date - r.retention_last_order_date, p.user_id, r.company_id,
                   r.retention_restore_order_id, r.retention_call_stop, r.retention_kept_in_queue,
                   r.retention_last_churn_reason_id, r.partner_id
              FROM retention_customer r
              JOIN res_partner p ON p.id = r.partner_id
              JOIN res_company c ON c.id = r.company_id
             WHERE p.active AND r.retention_status IN %(statuses)s AND NOT COALESCE(r.retention_lost_for_good, false)
               -- each company follows its own customers up: a call open in another company does not count
               AND NOT EXISTS (SELECT 1 FROM mail_activity a
                                WHERE a.res_model = 'res.partner' AND a.res_id = r.partner_id AND a.active
                                  AND a.activity_type_id = %(type)s
                                  AND (a.retention_company_id = r.company_id OR a.retention_company_id IS NULL))
               AND (r.retention_restore_order_id IS NOT NULL OR NOT EXISTS (
                       SELECT 1 FROM mail_activity a
                        WHERE a.res_model = 'res.partner' AND a.res_id = r.partner_id AND NOT a.active
                          AND a.activity_type_id = %(type)s AND a.date_done IS NOT NULL
                          AND (a.retention_company_id = r.company_id OR a.retention_company_id IS NULL)
                          AND a.date_done + %(interval)s > %(today)s::date))
               AND %(interval)s > 0
             ORDER BY r.id
            """,
                today=today,
                statuses=FOLLOWUP_STATUSES,
                type=activity_type.id,
                interval=interval,
            )
        )

    @api.model
    def _retention_team_leaders(self, partner_ids):
        """{customer id: leader of the sales team of the customer's latest confirmed order}."""
        if not partner_ids:
            return {}
        rows = self.env.execute_query(
            SQL(
                """
            SELECT DISTINCT ON (cp.id) cp.id, t.user_id
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
              JOIN crm_team t ON t.id = so.team_id
             WHERE cp.id IN %s AND so.state = 'sale'
             ORDER BY cp.id, so.date_order DESC
            """,
                tuple(partner_ids),
            )
        )
        return {partner_id: user_id for partner_id, user_id in rows if user_id}

    @api.model
    def _retention_user_companies(self, user_ids):
        rows = self.env.execute_query(
            SQL(
                "SELECT user_id, array_agg(cid) FROM res_company_users_rel WHERE user_id IN %s GROUP BY user_id",
                tuple(user_ids) or (0,),
            )
        )
        return {user_id: set(cids) for user_id, cids in rows}

    @api.model
    def _retention_allocate(self, today):
        """The nightly allocation (see the module docstring). Returns a dict of counts (and, under "seconds", where
        the time went: make bench prints it)."""
        Rows = self.env["retention.customer"].sudo()
        clock = [time.perf_counter()]
        seconds = {}

        def lap(phase):
            now = time.perf_counter()
            seconds[phase] = round(now - clock[0], 2)
            clock[0] = now

        rows = self._retention_candidates(today)
        stop_after_of = {
            company.id: retention_param(self.env, "retention_stop_after_days", company)
            for company in self.env["res.company"].sudo().with_context(active_test=False).search([])
        }
        stop_reasons = set(
            self.env["retention.churn.reason"]
            .sudo()
            .with_context(active_test=False)
            .search([("stops_calls", "=", True)])
            .ids
        )
        capacities = self._retention_capacities()
        companies = self._retention_user_companies(list(capacities))
        fallback_id = int(self.env["ir.config_parameter"].sudo().get_param("order_retention.fallback_user_id") or 0)
        admin = self.env.ref("base.user_admin", raise_if_not_found=False)
        fallbacks = [uid for uid in (fallback_id, admin.id if admin else 0) if uid]
        leaders = self._retention_team_leaders(
            [r[10] for r in rows if not (r[4] in capacities and capacities[r[4]] > 0)]
        )

        def can_work(user_id, company_id):
            return capacities.get(user_id, 0) > 0 and (not company_id or company_id in companies.get(user_id, ()))

        lap("candidates")
        # each company's own win-back history ranks its customers
        main_company = self.env.company.id
        by_company = {}

        def rates_of(company_id):
            company_id = company_id or main_company
            if company_id not in by_company:
                by_company[company_id] = self._retention_winback_rates(today, company_id)
            return by_company[company_id]

        rates = rates_of(main_company)
        lap("winback")
        candidates, stopped, info = [], {}, {}
        # keyed by retention.customer id: a customer of two companies is followed up in each
        for rid, status, var, silent, user_id, company_id, restore, stop, kept, reason_id, pid in rows:
            stop_after = stop_after_of.get(company_id, 0)  # the customer's company's own rule
            if restore:
                stop = False  # a win-back order was cancelled: the follow-up comes back whatever the stop
            elif reason_id in stop_reasons and stop != "reason" and not kept:
                stop = "reason"
            elif not stop and not kept and stop_after and (silent or 0) > stop_after:
                stop = "silence"
            assignee = next(
                (uid for uid in (user_id, leaders.get(pid), *fallbacks) if uid and can_work(uid, company_id)), None
            )
            prio = qp.priority(var, silent, rates_of(company_id))
            info[rid] = (status, silent, assignee, prio, company_id, restore)
            if stop:
                stopped[rid] = stop
            elif assignee:
                # a cancelled win-back comes first: it is owed to the customer
                candidates.append((rid, assignee, float("inf") if restore else prio))
        opened = self._retention_open_counts(list(capacities))
        free = {uid: capacity - opened.get(uid, 0) for uid, capacity in capacities.items()}
        chosen, ranks = qp.allocate(candidates, free)
        lap("rank")
        created = self._retention_create_calls(today, chosen, ranks, info, rates_of)
        lap("calls")
        self._retention_store_queue(today, info, chosen, stopped)
        lap("store")
        sent = self._retention_send_low_touch(today, info, chosen, stopped)
        lap("messages")
        # a cancelled win-back stays owed until its call exists (a full queue makes it wait at the top)
        restored = [rid for rids in chosen.values() for rid in rids if info[rid][5]]
        if restored:
            self.env.cr.execute(
                SQL("UPDATE retention_customer SET retention_restore_order_id = NULL WHERE id IN %s", tuple(restored))
            )
            Rows.invalidate_model(["retention_restore_order_id"])
            Rows._retention_invalidate_readers()
        counts = {
            "needing": len(rows),
            "created": created,
            "waiting": len(candidates) - created,
            "stopped": len(stopped),
            "messages": sent,
            "winback_learned": rates.learned,
        }
        self.env.cr.cache["retention_allocation"] = dict(counts, seconds=seconds)
        self._retention_record_night(today, counts, rates)
        _logger.info("Retention queue %s: %s", today, counts)
        return counts

    @api.model
    def _retention_record_night(self, today, counts, rates):
        """Keep the night's figures on the day's run (Configuration > Retention > Churn Models): calls scheduled,
        customers waiting and stopped, messages, and which win-back chance ranked them."""
        run = (
            self.env["retention.model.run"]
            .sudo()
            .search([("date", "=", today), ("company_id", "=", self.env.company.id)], limit=1)
        )
        if run:
            run.write(
                {
                    "queue_created": counts["created"],
                    "queue_waiting": counts["waiting"],
                    "queue_stopped": counts["stopped"],
                    "queue_messages": counts["messages"],
                    "winback_learned": rates.learned,
                    "winback_calls": rates.calls,
                    "winback_count": rates.winbacks,
                    "winback_rates": ", ".join(
                        "%s: %d %%" % (qp.band_label(i), round(rate * 100)) for i, rate in enumerate(rates.rates)
                    ),
                }
            )

    @api.model
    def _retention_create_calls(self, today, chosen, ranks, info, rates_of):
        """Create the retention calls of ``chosen`` ({user: [retention.customer ids]}), each saying why it was
        chosen."""
        if not chosen:
            return 0
        cycle = self.env["retention.cycle"]
        activity_type = cycle._retention_activity_type()
        model_id = self.env["ir.model"]._get_id("res.partner")
        Users = self.env["res.users"].sudo()
        rows = self.env["retention.customer"].sudo().browse([rid for rids in chosen.values() for rid in rids])
        rows.fetch(["partner_id", "company_id", "retention_value_at_risk"])
        rows.partner_id.fetch(["display_name"])
        # the records of ``rows`` share its prefetch (rows.browse(rid) would not): the value at risk and the
        # computed explanation are read for the whole batch, not one query per customer
        by_id = {row.id: row for row in rows}
        vals_list = []
        for user_id, partner_ids in chosen.items():
            user = Users.browse(user_id)
            env = self.with_context(lang=user.lang).env
            summaries = cycle.with_env(env)._retention_summaries()
            for rid in partner_ids:
                row = by_id[rid]
                status, silent, _assignee, prio, company_id, restore = info[rid]
                rank, waiting = ranks[rid]
                why = self._retention_why_chosen(env, row, rank, waiting, rates_of(company_id), silent)
                if restore:
                    why = escape(
                        env._(
                            "Follow-up put back: %(order)s, the order that closed the previous retention call, "
                            "was cancelled.",
                            order=self.env["sale.order"].sudo().browse(restore).name,
                        )
                    )
                vals_list.append(
                    {
                        "res_model_id": model_id,
                        "res_id": row.partner_id.id,
                        "activity_type_id": activity_type.id,
                        "summary": summaries[status],
                        "note": Markup("<p>%s</p><p>%s</p>")
                        % (why, row.with_context(lang=user.lang).retention_explanation or ""),
                        "retention_chosen_rank": rank,
                        "retention_chosen_waiting": waiting,
                        "date_deadline": today,
                        "user_id": user_id,
                        "automated": True,
                        "retention_company_id": company_id or user.company_id.id,
                        "res_name": row.partner_id.display_name,
                        "user_tz": user.tz,
                        "date_done": False,
                    }
                )
        with policy.retention_system():
            self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)
        return len(vals_list)

    @api.model
    def _retention_why_chosen(self, env, row, rank, waiting, rates, silent):
        """'Chosen as 3rd of 412 customers waiting for you: 4,200.00 $ at risk, win-back chance 20 % after 95 days
        of silence (learned from 1,204 of your calls).'"""
        value = format_amount(env, row.retention_value_at_risk or 0.0, row.retention_currency_id)
        if rates.learned:
            source = env._("learned from %(calls)s of your past calls", calls=rates.calls)
        else:
            source = env._("default curve until your team has %(calls)s calls with a known result", calls=qp.MIN_CALLS)
        return escape(
            env._(
                "Chosen as no. %(rank)s of %(waiting)s customers waiting for this queue: %(value)s at risk, win-back "
                "chance %(chance)s %% after %(silence)s of silence (%(basis)s).",
                rank=rank,
                waiting=waiting,
                value=value,
                chance=round(rates.chance(silent) * 100),
                silence=count_phrase(env, silent or 0, "day"),
                basis=source,
            )
        )

    @api.model
    def _retention_store_queue(self, today, info, chosen, stopped):
        """Write where each customer stands (retention.customer, keyed by its id): call worth and queue of
        everyone who needs a follow-up, waiting since for those left waiting, the stop of those who left the
        queue; only rows that change."""
        called = {pid for pids in chosen.values() for pid in pids}
        rows = [
            (
                pid,
                prio if prio != float("inf") else None,
                assignee,
                pid not in called and pid not in stopped and bool(assignee),
                stopped.get(pid),
            )
            for pid, (_s, _d, assignee, prio, _c, _r) in info.items()
        ]
        cr = self.env.cr
        cr.execute(
            "CREATE TEMP TABLE IF NOT EXISTS retention_queue_stage "
            "(id int PRIMARY KEY, prio float8, queue_user int, waiting bool, stop varchar) ON COMMIT DROP"
        )
        cr.execute("TRUNCATE retention_queue_stage")
        for start in range(0, len(rows), 10000):
            chunk = rows[start : start + 10000]
            cr.execute(
                SQL(
                    "INSERT INTO retention_queue_stage VALUES %s",
                    SQL(", ").join(SQL("(%s, %s, %s, %s, %s)", *row) for row in chunk),
                )
            )
        cr.execute(
            SQL(
                """
            UPDATE retention_customer p
               SET retention_call_priority = s.prio,
                   retention_queue_user_id = s.queue_user,
                   retention_waiting_since = CASE WHEN s.waiting THEN COALESCE(p.retention_waiting_since, %(today)s)
                                             END,
                   retention_call_stop = COALESCE(s.stop, p.retention_call_stop)
              FROM retention_queue_stage s
             WHERE s.id = p.id
               AND (p.retention_call_priority IS DISTINCT FROM s.prio
                    OR p.retention_queue_user_id IS DISTINCT FROM s.queue_user
                    OR (p.retention_waiting_since IS NULL) = s.waiting
                    OR (s.stop IS NOT NULL AND p.retention_call_stop IS DISTINCT FROM s.stop))
            """,
                today=today,
            )
        )
        # no longer waiting: has a call, ordered again, resting after a call, lost for good...
        cr.execute(
            """
            UPDATE retention_customer p SET retention_waiting_since = NULL
             WHERE p.retention_waiting_since IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM retention_queue_stage s WHERE s.id = p.id)
            """
        )
        # ordering again puts a customer back in the call queue with a clean slate
        cr.execute(
            """
            UPDATE retention_customer SET retention_call_stop = NULL, retention_unanswered_calls = 0,
                   retention_kept_in_queue = false
             WHERE retention_status = 'active'
               AND (retention_call_stop IS NOT NULL OR retention_unanswered_calls > 0 OR retention_kept_in_queue)
            """
        )
        self.env["retention.customer"].invalidate_model(
            [
                "retention_call_priority",
                "retention_queue_user_id",
                "retention_waiting_since",
                "retention_call_stop",
                "retention_unanswered_calls",
                "retention_kept_in_queue",
            ]
        )
        self.env["retention.customer"]._retention_invalidate_readers()

    # ------------------------------------------------------------------
    # LOW-TOUCH CHANNEL
    # ------------------------------------------------------------------

    @api.model
    def _retention_send_low_touch(self, today, info, chosen, stopped):
        """Queue the e-mail or SMS of Settings for the customers without a call (waiting or stopped), once per
        status interval, at most the nightly cap per company, best call worth first. Returns how many."""
        called = {pid for pids in chosen.values() for pid in pids}
        companies = self.env["res.company"].sudo().search([])
        channels = {c.id: {s: c["retention_low_touch_%s" % s] for s in FOLLOWUP_STATUSES} for c in companies}
        if not any(ch != "none" for per in channels.values() for ch in per.values()):
            return 0
        intervals = {
            company.id: {status: retention_param(self.env, fname, company) for status, fname in INTERVAL_PARAMS.items()}
            for company in companies.with_context(active_test=False).search([])
        }
        main_company = self.env.company.id
        todo = [
            (rid, status, company_id or main_company, prio)
            for rid, (status, _d, _a, prio, company_id, _r) in info.items()
            if rid not in called and channels.get(company_id or main_company, {}).get(status, "none") != "none"
        ]
        if not todo:
            return 0
        Rows = self.env["retention.customer"].sudo()
        rows = Rows.browse([t[0] for t in todo])
        rows.fetch(["partner_id", "retention_low_touch_date"])
        partners = rows.partner_id
        partners.fetch(
            [
                "retention_low_touch_optout",
                "email",
                "is_blacklisted",
                "mobile",
                "phone",
                "phone_sanitized_blacklisted",
                "user_id",
            ]
        )
        # the records of ``rows`` share its prefetch: the blacklist is computed for a batch, not per customer
        by_id = {row.id: row for row in rows}
        # the cap is per night: what an earlier run queued today counts (a second run the same day, Run now)
        per_company = dict(
            self.env.execute_query(
                SQL(
                    "SELECT company_id, count(*) FROM retention_customer "
                    "WHERE retention_low_touch_date = %s GROUP BY 1",
                    today,
                )
            )
        )
        sent = []
        for rid, status, company_id, _prio in sorted(
            todo, key=lambda t: (-(t[3] if t[3] != float("inf") else 1e18), t[0])
        ):
            company = companies.browse(company_id)
            if per_company.get(company_id, 0) >= company.retention_low_touch_max:
                continue
            row = by_id[rid]
            partner = row.partner_id
            last = row.retention_low_touch_date
            if last and fields.Date.add(last, days=intervals[company_id][status] or 1) > today:
                continue
            channel = channels[company_id][status]
            if not self._retention_reachable(partner, channel):
                continue
            if self._retention_send_one(partner, channel, company):
                per_company[company_id] = per_company.get(company_id, 0) + 1
                sent.append(rid)
        if sent:
            self.env.cr.execute(
                SQL("UPDATE retention_customer SET retention_low_touch_date = %s WHERE id IN %s", today, tuple(sent))
            )
            Rows.invalidate_model(["retention_low_touch_date"])
            Rows._retention_invalidate_readers()
        return len(sent)

    @api.model
    def _retention_reachable(self, partner, channel):
        if channel == "email":
            return bool(partner.email) and not partner.is_blacklisted and not partner.retention_low_touch_optout
        return bool(partner.mobile or partner.phone) and not partner.phone_sanitized_blacklisted

    @api.model
    def _retention_send_one(self, partner, channel, company):
        """Queue one retention e-mail (through the outgoing mail queue, logged in the chatter, sent as the
        salesperson) or SMS for ``partner``. Returns True when something was queued."""
        author = partner.user_id.sudo() if partner.user_id and partner.user_id.active else self.env.user
        if channel == "email":
            # the module's template when the company has none (companies that existed before the install)
            template = company.retention_mail_template_id or self.env.ref(
                "order_retention.mail_template_retention_low_touch", raise_if_not_found=False
            )
            if not template:
                return False
            # the composer leaves the sender empty when given an author (the mail then fails at sending): the
            # template's sender, rendered here, goes with it
            email_from = template._render_field("email_from", partner.ids)[partner.id] or author.email_formatted
            partner.with_context(mail_notify_force_send=False, mail_post_autofollow=False).message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                author_id=author.partner_id.id,
                email_from=email_from,
            )
            return True
        template = company.retention_sms_template_id or self.env.ref(
            "order_retention.sms_template_retention_low_touch", raise_if_not_found=False
        )
        if not template:
            return False
        # put_in_queue: Odoo's SMS queue sends it after the night's commit (not one IAP request per customer inside
        # the allocation's transaction, sent even if it rolls back)
        partner._message_sms_with_template(template=template, partner_ids=partner.ids, put_in_queue=True)
        return True
