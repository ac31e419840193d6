"""Every Kubernetes object Vigie defines and every Helm release it installs, as plain data built from a stack.

The Pulumi components declare exactly these objects, and `vigie render` writes them (secrets redacted) to
generated/<stack>/manifests/ for review; nothing here talks to Pulumi or to a cluster.
"""
