"""Business rules. Functions take plain values and the acting user, own their
transaction, and raise a DomainError subclass; no request, flash or templates here."""
