"""The trusted side of grading: reads the lab's test cells (hidden tests too), runs their check
calls in this process with the student's functions as stand-ins, and decides every verdict.
The kernel side is ``autograder.kernel``; the wire between them is ``autograder.wire``."""
