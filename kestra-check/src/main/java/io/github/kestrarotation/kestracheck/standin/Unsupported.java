package io.github.kestrarotation.kestracheck.standin;

/** The error a stand-in trigger raises if Kestra ever tries to run it. */
final class Unsupported {
    private Unsupported() {
    }

    static UnsupportedOperationException trigger(Object t) {
        return new UnsupportedOperationException(t.getClass().getSimpleName() + " is a parse-only stand-in");
    }
}
