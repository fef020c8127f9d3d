"""The closed loop back to partners: feedback agreements become obligations with deadlines in
working days; events on a case meet them; a sweep reminds and escalates; feedback goes back to
the partner through the outbox; compliance shows how well agreements are kept."""
