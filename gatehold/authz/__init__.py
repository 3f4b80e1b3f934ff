"""The one enforcement point: the enforcer, the request's condition keys, the
principal's policies and the denials."""
