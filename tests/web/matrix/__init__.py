"""The permission matrix's rows by area, and its harness (`tests/web/test_permission_matrix.py`)."""
