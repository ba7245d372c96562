"""e2e modules start their stack with tests.support.stacks (re-exported for them)."""

from tests.support.stacks import free_port, module_stack, start_stack

__all__ = ["free_port", "module_stack", "start_stack"]
