package io.modelpool.worker.capability.textembedding;

/** Cheap checks on one input text before it is tokenised. */
final class TextChecks {

    static final String TOO_LARGE = "is too large";

    private TextChecks() {}

    /**
     * Null when the text is acceptable; otherwise what is wrong: empty, more than {@code maxBytes} UTF-8
     * bytes (counted without encoding, stopping at the cap), or an unpaired UTF-16 surrogate, which has no
     * UTF-8 form.
     */
    static String problem(String text, int maxBytes) {
        if (text == null || text.isEmpty()) {
            return "is empty";
        }
        if (text.length() > maxBytes) {
            return TOO_LARGE + ": more than " + maxBytes + " UTF-8 bytes (" + text.length() + " chars)";
        }
        long bytes = 0;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    bytes += 4;
                    i++;
                } else {
                    return "has an unpaired UTF-16 high surrogate at char " + i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return "has an unpaired UTF-16 low surrogate at char " + i;
            } else {
                bytes += 3;
            }
            if (bytes > maxBytes) {
                return TOO_LARGE + ": more than " + maxBytes + " UTF-8 bytes";
            }
        }
        return null;
    }
}
