"""Mesa agents and the domain vocabulary they own: tactics, target rules, dispatch
policies, responders and incidents. Agents import only libraries and each other; they
reach the model through :class:`agents.port.World`."""

__all__ = []
