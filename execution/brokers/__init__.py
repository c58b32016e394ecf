"""Brokers the execution queue trades through: the interface (`execution.brokers.base`) and the
built-in paper broker (`execution.brokers.paper`)."""
