"""The soak run: the real daemon (embedded or distributed) against a local news web and an SMTP
server for many cycles, with processes killed by SIGKILL at random (seeded) moments."""
