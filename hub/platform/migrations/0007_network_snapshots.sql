-- The network's figures per day (counts only), so a link's change can be shown.

create table network_snapshots (
    day               date not null,
    node_a            text not null,
    node_b            text not null,
    relation          text not null,
    figures           jsonb not null,
    primary key (day, node_a, node_b, relation)
);
