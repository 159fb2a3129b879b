/** @file version.h @brief knob's version string. */
#ifndef KNOB_VERSION_H
#define KNOB_VERSION_H
#define KNOB_VERSION "0.1.0"
#endif
