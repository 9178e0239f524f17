//! SLA clock math (see docs/sla.md).
