"""Loopback fakes of the services Marsad talks to (Slack, SMTP), for tests only."""
