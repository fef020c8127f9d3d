-- The partner survey: partners rate statements about the teams they work with, and their verdict
-- stands beside what the hub measured. A partner's contact address receives the invitation.
alter table partners add column contact_email text
    check (contact_email ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$'
           and length(contact_email) <= 254);

-- The statements an administrator keeps; a survey copies them when it starts, so a later edit
-- never rewrites what partners were asked. `theme` names what a statement is about (at most one
-- statement in use per theme); an administrator's own extra statements have none. The trend
-- follows a statement by its id, whatever its wording became.
create table survey_statements (
    id                bigint generated always as identity primary key,
    theme             text check (theme in ('visibility', 'reachability', 'tailored_support',
                                            'expertise', 'agreements_possible', 'agreements_kept',
                                            'clarity')),
    text              text not null check (length(text) between 1 and 300),
    position          integer not null,
    created_at        timestamptz not null default now(),
    retired_at        timestamptz
);
create unique index survey_statements_one_per_theme on survey_statements (theme)
    where retired_at is null and theme is not null;

create table surveys (
    id                uuid primary key default gen_random_uuid(),
    team_id           bigint references teams (id),  -- null: every team
    opened_on         date not null,
    closes_on         date not null,  -- the last day answers are taken (Dutch time)
    -- The period partners judge and the hub measures: the twelve months up to closing.
    covers_from       date not null,
    covers_to         date not null,
    created_at        timestamptz not null default now(),
    check (closes_on >= opened_on and covers_from <= covers_to)
);
create index surveys_closing on surveys (closes_on);

create table survey_questions (
    survey_id         uuid not null references surveys (id),
    statement_id      bigint not null references survey_statements (id),
    position          integer not null,
    theme             text,
    text              text not null,
    primary key (survey_id, statement_id)
);

-- One invitation per partner organisation: its answers are stored per partner, never shown per
-- partner. The personal link's token is not stored; only its keyed digest, to find it by.
create table survey_invitations (
    id                uuid primary key default gen_random_uuid(),
    survey_id         uuid not null references surveys (id),
    partner_id        uuid not null references partners (id),
    token_digest      bytea not null unique,
    invited_at        timestamptz not null default now(),
    reminders_sent    smallint not null default 0 check (reminders_sent between 0 and 2),
    reminded_at       timestamptz,
    answered_at       timestamptz,  -- the last time answers were saved; null: none (now)
    withdrawn_at      timestamptz,  -- the partner withdrew its answers (no reminders after)
    unique (survey_id, partner_id)
);

-- The teams an invitation asks about: those the partner worked with (signal flows).
create table survey_invitation_teams (
    invitation_id     uuid not null references survey_invitations (id),
    team_id           bigint not null references teams (id),
    primary key (invitation_id, team_id)
);

-- A score from 1 (strongly disagree) to 5 (strongly agree); null: "don't know", not counted.
create table survey_answers (
    invitation_id     uuid not null,
    team_id           bigint not null,
    statement_id      bigint not null references survey_statements (id),
    score             smallint check (score between 1 and 5),
    primary key (invitation_id, team_id, statement_id),
    foreign key (invitation_id, team_id)
        references survey_invitation_teams (invitation_id, team_id)
);

-- A partner's comment on a team, sealed like personal data (a comment may name anyone).
create table survey_comments (
    id                uuid primary key default gen_random_uuid(),
    invitation_id     uuid not null,
    team_id           bigint not null,
    comment           bytea not null,
    unique (invitation_id, team_id),
    foreign key (invitation_id, team_id)
        references survey_invitation_teams (invitation_id, team_id)
);
