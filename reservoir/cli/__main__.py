"""`python -m reservoir.cli` is `reservoir` (handy from a checkout without the script installed)."""

from reservoir.cli.main import app

if __name__ == "__main__":  # imported (tests/test_structure.py imports every module): nothing runs
    app(prog_name="reservoir")
