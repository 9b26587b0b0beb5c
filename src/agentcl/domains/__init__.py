"""Built-in domains (mock, airline, retail, telecom) and the DomainSpec they share."""

from .base import DomainData, DomainSpec, load_domain_data, load_tasks, resolve_domain_dir

__all__ = ["DomainData", "DomainSpec", "load_domain_data", "load_tasks", "resolve_domain_dir"]
