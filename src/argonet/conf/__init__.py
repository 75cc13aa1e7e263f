"""Typed configuration: dataclasses (schemas, validation) and YAML groups; no other logic."""
