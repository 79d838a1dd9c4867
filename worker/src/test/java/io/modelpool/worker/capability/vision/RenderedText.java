package io.modelpool.worker.capability.vision;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import javax.imageio.ImageIO;

/** Pages of black text on white, drawn with Java2D, encoded as PNG or JPEG. */
final class RenderedText {

    /** One line to draw: its text, the logical font family, style and size in points. */
    record Line(String text, String family, int style, int size) {}

    private RenderedText() {}

    /** A page of {@code width} x {@code height} with the lines drawn from x = 30 down from the top. */
    static BufferedImage page(int width, int height, List<Line> lines) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            int y = 30;
            for (Line line : lines) {
                g.setFont(new Font(line.family(), line.style(), line.size()));
                FontMetrics m = g.getFontMetrics();
                y += m.getAscent();
                g.drawString(line.text(), 30, y);
                y += (int) (m.getHeight() * 0.8) + m.getDescent();
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /** A page turned half a turn. */
    static BufferedImage upsideDown(BufferedImage page) {
        BufferedImage out = new BufferedImage(page.getWidth(), page.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < page.getHeight(); y++) {
            for (int x = 0; x < page.getWidth(); x++) {
                out.setRGB(page.getWidth() - 1 - x, page.getHeight() - 1 - y, page.getRGB(x, y));
            }
        }
        return out;
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
