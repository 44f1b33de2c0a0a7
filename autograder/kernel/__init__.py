"""What runs inside the sandbox, on the student's side of the boundary: a small responder that
runs the submission's cells and, when the judge asks, calls one of its functions and sends back
what it returned. Nothing here decides a grade, and no test code ever reaches it."""
