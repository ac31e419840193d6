"""Pulumi ComponentResources, one per concern: each declares its bundle from infra.manifests as children."""
