package io.modelpool.worker.capability.image;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Encoded images for the image capabilities' tests, good and bad. */
public final class ImageFixtures {

    private ImageFixtures() {}

    /** A small real image: a white square with a dark bar, encoded as {@code format} (png, jpeg). */
    public static byte[] small(String format, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(new Color(30, 60, 90));
            g.fillRect(width / 4, height / 3, width / 2, Math.max(1, height / 3));
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, format, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * A PNG whose header declares {@code width} x {@code height} (its CRC fixed up) over the pixel data of a
     * 16 x 16 image: what a decompression bomb looks like to a header check. Decoding it would fail or
     * allocate width x height pixels; the check must refuse it before.
     */
    public static byte[] pngDeclaring(int width, int height) {
        byte[] png = small("png", 16, 16);
        ByteBuffer b = ByteBuffer.wrap(png);
        // signature (8), IHDR length (4), "IHDR" (4), then width and height
        b.putInt(16, width);
        b.putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        b.putInt(29, (int) crc.getValue());
        return png;
    }

    /** The first {@code fraction} of {@code data}. */
    public static byte[] truncated(byte[] data, double fraction) {
        return java.util.Arrays.copyOf(data, (int) (data.length * fraction));
    }
}
