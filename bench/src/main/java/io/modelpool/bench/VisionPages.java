package io.modelpool.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Pages of real prose rendered by ImageMagick's {@code convert}, for {@link VisionBench}: the text is taken in
 * runs of consecutive words from the licence texts Debian installs in {@code /usr/share/common-licenses}, and
 * every page draws, from one seed, a DejaVu font (Sans, Serif, Sans Mono, Sans Bold), a size of 18 to 36 pt, a
 * layout (a block of 3 to 6 lines of 4 to 9 words; a wide page of 2 or 3 lines of 12 to 16 words; a tall page
 * of 10 to 14 lines of 2 to 5 words), a rotation (0, +1.5, -1.5 or -2 degrees), a background (white, off-white,
 * or off-white with Gaussian noise) and an encoding (PNG, or JPEG at quality 60 to 85; noisy pages are always
 * JPEG).
 */
final class VisionPages {

    /** The licence texts the words are taken from, all in /usr/share/common-licenses. */
    static final List<String> SOURCES = List.of("Apache-2.0", "GPL-3", "LGPL-2.1", "MPL-2.0", "Artistic", "GFDL-1.3");

    private static final Path LICENSES = Path.of("/usr/share/common-licenses");
    private static final String[] FONTS = {"DejaVu-Sans", "DejaVu-Serif", "DejaVu-Sans-Mono", "DejaVu-Sans-Bold"};
    private static final double[] ANGLES = {0, 0, 1.5, -1.5, -2};

    /** One rendered page: the file and the lines drawn, top to bottom, with how it was drawn. */
    record Page(Path file, List<String> lines, String description) {

        String mediaType() {
            return file.toString().endsWith(".png") ? "image/png" : "image/jpeg";
        }
    }

    private VisionPages() {}

    /** Renders {@code n} pages from {@code seed} into {@code dir}, each with a text file of its lines. */
    static List<Page> render(int n, long seed, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        List<String[]> texts = new ArrayList<>();
        for (String source : SOURCES) {
            texts.add(words(Files.readString(LICENSES.resolve(source), StandardCharsets.UTF_8)));
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<Page> pages = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String font = FONTS[i % FONTS.length];
            int size = 18 + random.nextInt(19);
            int layout = random.nextInt(4); // 0, 1: block; 2: wide; 3: tall
            int lineCount =
                    layout == 2 ? 2 + random.nextInt(2) : layout == 3 ? 10 + random.nextInt(5) : 3 + random.nextInt(4);
            String[] words = texts.get(random.nextInt(texts.size()));
            int at = random.nextInt(words.length - 400);
            List<String> lines = new ArrayList<>(lineCount);
            for (int l = 0; l < lineCount; l++) {
                int count = layout == 2
                        ? 12 + random.nextInt(5)
                        : layout == 3 ? 2 + random.nextInt(4) : 4 + random.nextInt(6);
                lines.add(String.join(" ", Arrays.copyOfRange(words, at, at + count)));
                at += count;
            }
            double angle = ANGLES[random.nextInt(ANGLES.length)];
            int background = random.nextInt(3);
            // noisy pages are JPEG: as PNG they run to megabytes, past Kafka's default message size
            boolean jpeg = random.nextBoolean() || background == 2;
            int quality = 60 + random.nextInt(26);
            Path file = dir.resolve(String.format(Locale.ROOT, "page-%02d.%s", i, jpeg ? "jpg" : "png"));
            List<String> command = new ArrayList<>(List.of(
                    "convert",
                    "-seed",
                    Long.toString(seed + i),
                    "-background",
                    "none",
                    "-fill",
                    "#1a1a1a",
                    "-font",
                    font,
                    "-pointsize",
                    Integer.toString(size),
                    "-interline-spacing",
                    Integer.toString(size / 3),
                    "label:" + String.join("\n", lines),
                    "-rotate",
                    Double.toString(angle),
                    "-bordercolor",
                    "none",
                    "-border",
                    "48x36",
                    "(",
                    "+clone",
                    "-alpha",
                    "off",
                    "-fill",
                    background == 0 ? "white" : "#f4f0e6",
                    "-colorize",
                    "100"));
            if (background == 2) {
                command.addAll(List.of("-attenuate", "0.6", "+noise", "Gaussian"));
            }
            command.addAll(List.of(")", "+swap", "-compose", "over", "-composite", "-alpha", "off"));
            if (jpeg) {
                command.addAll(List.of("-quality", Integer.toString(quality)));
            }
            command.add(file.toString());
            run(command);
            Files.writeString(dir.resolve(file.getFileName() + ".txt"), String.join("\n", lines) + "\n");
            String description = String.format(
                    Locale.ROOT,
                    "%s %dpt %d lines %s %+.1f deg %s %s",
                    font,
                    size,
                    lineCount,
                    layout == 2 ? "wide" : layout == 3 ? "tall" : "block",
                    angle,
                    background == 0 ? "white" : background == 1 ? "off-white" : "noise",
                    jpeg ? "jpeg q" + quality : "png");
            pages.add(new Page(file, List.copyOf(lines), description));
        }
        return pages;
    }

    /**
     * The text's words, whitespace collapsed, without the characters ImageMagick's {@code label:} interprets
     * ({@code %} escapes, {@code \} escapes, a leading {@code @} reads a file), without non-ASCII, and without
     * the rules of dashes or equals signs the licences draw between sections (words with no letter or digit).
     */
    static String[] words(String text) {
        return Arrays.stream(text.split("\\s+"))
                .filter(w ->
                        !w.isEmpty() && w.chars().allMatch(c -> c > 32 && c < 127 && c != '%' && c != '\\' && c != '@'))
                .filter(w -> w.chars().anyMatch(Character::isLetterOrDigit))
                .toArray(String[]::new);
    }

    /** True when ImageMagick's {@code convert} runs here. */
    static boolean available() {
        try {
            Process p = new ProcessBuilder("convert", "-version")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("convert failed (" + output.strip() + "): " + String.join(" ", command));
        }
    }
}
