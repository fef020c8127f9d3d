-- People are shown by name on pages (director, timeline, colleagues), not by e-mail address.
-- Staff names only: a partner's user may have one too. Not a resident's data.
alter table users add column name text
    check (name is null or (length(name) between 1 and 100 and name !~ '[[:cntrl:]]'));
