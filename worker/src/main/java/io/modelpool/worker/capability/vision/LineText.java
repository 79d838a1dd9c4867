package io.modelpool.worker.capability.vision;

import java.text.Normalizer;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finishes a decoded line's text for lines of Latin script, which PP-OCR's Chinese recogniser reads with two
 * habits of Chinese text: it drops many spaces between words, and it writes some punctuation in its full-width
 * or CJK form. Both repairs apply only to lines where Latin letters outnumber all other letters twice, so Chinese
 * and Japanese lines are left as read.
 *
 * <ul>
 *   <li><b>Spaces</b> ({@code space-threshold} above 0): the CTC output has a time step per 8 pixels of the
 *       48 px high line. Over the gap between two words the model believes in a space, but on Latin text the
 *       blank usually outweighs it, so greedy decoding writes nothing. Between two characters the model wrote
 *       no space between, a space goes in when the space class's probability on any blank step separating
 *       them exceeds {@code space-threshold}, unless English typography forbids a space there (after an opening
 *       bracket, {@code @ / # $ - _ =}; before closing punctuation, {@code @ / - _ =}). (The character-pitch
 *       rule, a gap wider than the line's median pitch, was measured and lost: see docs/models.md.)</li>
 *   <li><b>Punctuation</b> ({@code latin-punctuation}): NFKC folds the full-width forms (U+FF01 to U+FF5E, such
 *       as {@code ，（）：；}) into ASCII, and a small table maps the CJK marks NFKC keeps ({@code 。、「」『』【】}
 *       and the curly quotes) to their ASCII counterparts.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe; deterministic, so a line's text stays batch-invariant.
 */
final class LineText {

    private static final Map<Character, String> CJK_PUNCTUATION = Map.ofEntries(
            Map.entry('\u3002', "."),
            Map.entry('\u3001', ","),
            Map.entry('\u300C', "\""),
            Map.entry('\u300D', "\""),
            Map.entry('\u300E', "\""),
            Map.entry('\u300F', "\""),
            Map.entry('\u3010', "["),
            Map.entry('\u3011', "]"),
            Map.entry('\u201C', "\""),
            Map.entry('\u201D', "\""),
            Map.entry('\u2018', "'"),
            Map.entry('\u2019', "'"),
            Map.entry('\u00B7', "."),
            Map.entry('\u2014', "-"),
            Map.entry('\u2013', "-"));

    /** Marks English typography never puts a space after: openings, joiners, currency and number signs. */
    private static final Set<String> NO_SPACE_AFTER = Set.of("(", "[", "{", "@", "/", "#", "$", "-", "_", "=", "\\");
    /** Marks English typography never puts a space before: closing punctuation and joiners. */
    private static final Set<String> NO_SPACE_BEFORE =
            Set.of(")", "]", "}", ",", ".", ";", ":", "!", "?", "%", "@", "/", "-", "_", "=");

    private LineText() {}

    /** The line's text with the repairs that are switched on. */
    static String finish(CtcDecoder.Decoded read, double spaceThreshold, boolean latinPunctuation) {
        if ((spaceThreshold <= 0 && !latinPunctuation) || !isLatin(read.text())) {
            return read.text();
        }
        String text = spaceThreshold > 0 ? withSpaces(read, spaceThreshold) : read.text();
        return latinPunctuation ? asciiPunctuation(text) : text;
    }

    /** True when Latin letters outnumber the other letters at least two to one. */
    static boolean isLatin(String text) {
        int latin = 0;
        int other = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetter(cp)) {
                if (Character.UnicodeScript.of(cp) == Character.UnicodeScript.LATIN) {
                    latin++;
                } else {
                    other++;
                }
            }
        }
        return latin > 0 && latin >= 2 * other;
    }

    /**
     * The characters joined, with a space between two characters the model wrote none between where the space
     * class's probability over the blank steps that separate them rose above {@code threshold}.
     */
    static String withSpaces(CtcDecoder.Decoded read, double threshold) {
        List<String> tokens = read.tokens();
        StringBuilder out = new StringBuilder(read.text().length() + 16);
        for (int i = 0; i < tokens.size(); i++) {
            if (i > 0
                    && read.spaceBefore()[i] > threshold
                    && !isSpace(tokens.get(i))
                    && !isSpace(tokens.get(i - 1))
                    && !NO_SPACE_AFTER.contains(tokens.get(i - 1))
                    && !NO_SPACE_BEFORE.contains(tokens.get(i))) {
                out.append(' ');
            }
            out.append(tokens.get(i));
        }
        return out.toString();
    }

    /** NFKC, then the CJK marks NFKC keeps as their ASCII counterparts. */
    static String asciiPunctuation(String text) {
        String folded = Normalizer.normalize(text, Normalizer.Form.NFKC);
        StringBuilder out = new StringBuilder(folded.length());
        for (int i = 0; i < folded.length(); i++) {
            char c = folded.charAt(i);
            String ascii = CJK_PUNCTUATION.get(c);
            if (ascii != null) {
                out.append(ascii);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isSpace(String token) {
        return token.isBlank();
    }
}
