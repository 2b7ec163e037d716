"""python -m sample_class COURSE_ROOT: write the sample class into COURSE_ROOT/submitted/<student>/<assignment>/."""
import sys

import sample_class

print("wrote", ", ".join(sample_class.write(sys.argv[1] if len(sys.argv) > 1 else sample_class.ROOT)))
