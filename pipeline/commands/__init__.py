"""The commands of ``python -m pipeline``, one module each, kept apart from the stages
they run (as Babel's ``messages/frontend.py`` keeps its commands apart from its data).

Each module has ``add_command(subparsers, common)``, which adds its parser, and
``run(config, args)``, which runs the stage and prints what it did; it returns the
exit code. Terminal output goes through ``pipeline.console``.
"""
