"""What tests share: factories, HTTP helpers, real peers (SMTP, webhooks), hub processes, the
browser. Test modules import from here, never from each other."""
