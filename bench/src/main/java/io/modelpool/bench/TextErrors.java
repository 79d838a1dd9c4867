package io.modelpool.bench;

import java.util.List;

/**
 * Character error counts for {@link VisionBench}: Levenshtein edits (insertions, deletions, substitutions, each
 * 1) between what was read and what was drawn, and lines missed.
 */
final class TextErrors {

    /** Errors of one page, summed over pages into a rate. */
    record Count(long edits, long chars, long editsNoSpaces, long charsNoSpaces, int linesMissed, int lines) {

        static final Count ZERO = new Count(0, 0, 0, 0, 0, 0);

        Count plus(Count o) {
            return new Count(
                    edits + o.edits,
                    chars + o.chars,
                    editsNoSpaces + o.editsNoSpaces,
                    charsNoSpaces + o.charsNoSpaces,
                    linesMissed + o.linesMissed,
                    lines + o.lines);
        }

        double cer() {
            return chars == 0 ? 0 : (double) edits / chars;
        }

        double cerNoSpaces() {
            return charsNoSpaces == 0 ? 0 : (double) editsNoSpaces / charsNoSpaces;
        }
    }

    private TextErrors() {}

    /**
     * The page's errors: the lines read and the lines drawn each joined with single spaces; without spaces, all
     * whitespace removed from both. A drawn line is missed when no stretch of the text read (spaces removed)
     * is within half the line's length in edits of it (spaces removed).
     */
    static Count of(List<String> read, List<String> drawn) {
        String hyp = String.join(" ", read);
        String ref = String.join(" ", drawn);
        String hypBare = bare(hyp);
        int missed = 0;
        for (String line : drawn) {
            String l = bare(line);
            if (substringDistance(l, hypBare) * 2 > l.length()) {
                missed++;
            }
        }
        return new Count(
                distance(hyp, ref),
                ref.length(),
                distance(hypBare, bare(ref)),
                bare(ref).length(),
                missed,
                drawn.size());
    }

    static String bare(String s) {
        return s.replaceAll("\\s+", "");
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The fewest edits turning {@code pattern} into some substring of {@code text} (Sellers, 1980). */
    static int substringDistance(String pattern, String text) {
        int[] prev = new int[pattern.length() + 1];
        int[] cur = new int[pattern.length() + 1];
        for (int i = 0; i <= pattern.length(); i++) {
            prev[i] = i;
        }
        int best = prev[pattern.length()];
        for (int j = 1; j <= text.length(); j++) {
            cur[0] = 0;
            for (int i = 1; i <= pattern.length(); i++) {
                int sub = prev[i - 1] + (pattern.charAt(i - 1) == text.charAt(j - 1) ? 0 : 1);
                cur[i] = Math.min(sub, Math.min(prev[i] + 1, cur[i - 1] + 1));
            }
            best = Math.min(best, cur[pattern.length()]);
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return best;
    }
}
