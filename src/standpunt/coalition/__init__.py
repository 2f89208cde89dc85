"""Working with partners: the fingerprint they sign, signatures, a partner's PDF."""
