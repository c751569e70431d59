// Scalar exp, sigmoid and tanh written so the loop vectoriser turns them into
// straight-line vector code (selects, no branches, no library calls): the
// same approximations as the Swift portable path (Activation.swift).
// Included once per level, inside that level's target attribute.

#define MATH_FLOAT float
#define MATH_BITS unsigned int
#define MATH_NAME(name) name
#include "math_functions.h"
#undef MATH_FLOAT
#undef MATH_BITS
#undef MATH_NAME
