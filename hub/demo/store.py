"""The demo's own SQL: whether it was loaded, and months of the teams' work written at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.platform.connection import Connection

if TYPE_CHECKING:
    from collections.abc import Sequence


async def demo_loaded(conn: Connection) -> bool:
    return bool(
        await conn.fetchval(
            "select exists (select 1 from signals where external_ref like 'DEMO-%')"
        )
    )


async def simulate_casework(
    conn: Connection,
    *,
    reached: str,
    closed: str,
    outcome: str,
    signal_in_contact: str,
    signal_closed: str,
    settled: Sequence[str],
) -> None:
    """Cases older than four weeks closed with `outcome`, younger ones (from three days) in
    contact; first contact two days after opening, in Oost nine (an agreement kept poorly).
    Events, obligations, cases and signals are written as the inbox would have; the statuses
    are the case vocabulary's, passed in."""
    await conn.execute(
        """
        create temporary table demo_work on commit drop as
        select c.id as case_id, c.team_id, t.code, c.opened_at,
               (select u.id from users u where u.team_id = c.team_id and u.role = 'member'
                order by u.email limit 1) as director,
               case when t.code = 'SWT-HLM-OOST' then interval '9 days'
                    else interval '2 days' end as contact_after,
               c.opened_at < now() - interval '28 days' as closing,
               exists (select 1 from signals s where s.case_id = c.id
                       and s.kind = 'payment_arrears') as early_debt
        from cases c join teams t on t.id = c.team_id
        where c.closed_at is null and c.opened_at < now() - interval '3 days'
        """
    )
    await conn.execute(
        """
        insert into events (case_id, kind, actor, data, occurred_at)
        select case_id, 'take', 'user:' || director, '{}'::jsonb, opened_at + interval '1 day'
        from demo_work where director is not null
        union all
        select case_id, 'contact_attempt', 'user:' || director,
               jsonb_build_object(
                   'reached', true,
                   'how', (array['phone', 'home_visit', 'appointment', 'letter'])[
                       1 + abs(hashtext(case_id::text)) % 4],
                   'on', ((opened_at + contact_after) at time zone 'Europe/Amsterdam')::date,
                   'part_of_day', case
                       when extract(hour from (opened_at + contact_after)
                                     at time zone 'Europe/Amsterdam') < 12 then 'morning'
                       when extract(hour from (opened_at + contact_after)
                                     at time zone 'Europe/Amsterdam') < 18 then 'afternoon'
                       else 'evening' end),
               opened_at + contact_after
        from demo_work where director is not null and opened_at + contact_after < now()
        union all
        -- Early-debt cases: a first call that nobody answered, as the national model records.
        select case_id, 'contact_attempt', 'user:' || director,
               jsonb_build_object(
                   'reached', false, 'how', 'phone', 'part_of_day', 'morning',
                   'on', ((opened_at + interval '1 day') at time zone 'Europe/Amsterdam')::date),
               opened_at + interval '1 day' + interval '1 hour'
        from demo_work
        where director is not null and early_debt and opened_at + contact_after < now()
          and contact_after > interval '1 day 1 hour'
        union all
        select case_id, 'close', 'user:' || director,
               jsonb_build_object('outcome', $1::text) || case when early_debt then
                   jsonb_build_object('early_debt_result',
                       (array['advice_quick_fix', 'follow_up_financial', 'follow_up',
                              'follow_up_non_financial'])[1 + abs(hashtext(case_id::text)) % 4])
                   else '{}'::jsonb end,
               opened_at + interval '15 days'
        from demo_work where director is not null and closing
        """,
        outcome,
    )
    await conn.execute(
        """
        update obligations o set met_at = w.opened_at + w.contact_after
        from signals s join demo_work w on w.case_id = s.case_id
        where o.signal_id = s.id and o.step = 'first_contact' and o.met_at is null
          and w.opened_at + w.contact_after < now()
        """
    )
    await conn.execute(
        """
        update obligations o set met_at = w.opened_at + interval '15 days'
        from signals s join demo_work w on w.case_id = s.case_id
        where o.signal_id = s.id and o.step = 'outcome' and o.met_at is null and w.closing
        """
    )
    await conn.execute(
        """
        update cases c set director_id = w.director,
            status = case when w.closing then $2 else $1 end,
            outcome = case when w.closing then $3 end,
            closed_at = case when w.closing then w.opened_at + interval '15 days' end,
            updated_at = now()
        from demo_work w where c.id = w.case_id and w.director is not null
          and (w.closing or w.opened_at + w.contact_after < now())
        """,
        reached,
        closed,
        outcome,
    )
    await conn.execute(
        """
        update signals s set status = case when c.status = $2 then $4 else $3 end,
            status_at = greatest(s.received_at, case when c.status = $2 then c.closed_at
                else least(now(), c.opened_at + interval '3 days') end)
        from cases c where s.case_id = c.id and c.status in ($1, $2)
          and s.status <> all($5::text[])
        """,
        reached,
        closed,
        signal_in_contact,
        signal_closed,
        list(settled),
    )
