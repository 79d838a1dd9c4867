package io.modelpool.worker.capability.image;

import io.modelpool.v1.ErrorCode;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Checks and decodes encoded images with ImageIO: PNG and JPEG from the JDK, WebP from the TwelveMonkeys
 * plug-in.
 *
 * <p>{@link #check} is cheap and reads only the header: it never decodes a raster, so a 20,000 x 20,000 image
 * is refused in microseconds and without its 1.2 GB of pixels. {@link #decode} reads the raster, treats
 * every reader warning (a truncated JPEG decodes to grey with only a warning) as corruption, and flattens any
 * alpha channel onto white, so transparent text renders as it would on a page.
 *
 * <p>Thread-safe: each call uses its own ImageIO reader.
 */
public final class ImageDecoder {

    static {
        // the plug-ins on the class path (TwelveMonkeys WebP) register once, whatever class loader runs us
        ImageIO.scanForPlugins();
        ImageIO.setUseCache(false);
    }

    private ImageDecoder() {}

    /** The bytes of an Avro {@code bytes} field, without moving the buffer's position. */
    public static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return new byte[0];
        }
        ByteBuffer view = buffer.duplicate();
        byte[] out = new byte[view.remaining()];
        view.get(out);
        return out;
    }

    /**
     * Checks an encoded image against {@code limits} from its header: not empty, at most
     * {@code maxBytes}, a media type and a file signature this worker reads and that agree, a readable
     * header, at most {@code maxPixels}.
     */
    public static ImageCheck check(byte[] data, String mediaType, ImageLimits limits) {
        if (data.length == 0) {
            return new ImageCheck.Refused(ErrorCode.EMPTY_INPUT, "the image has 0 bytes");
        }
        if (data.length > limits.maxBytes()) {
            return new ImageCheck.Refused(
                    ErrorCode.INPUT_TOO_LARGE,
                    "the image has " + data.length + " bytes; at most " + limits.maxBytes()
                            + " are allowed (limits.max-image-bytes)");
        }
        Optional<ImageFormat> declared = ImageFormat.ofMediaType(mediaType);
        if (declared.isEmpty()) {
            return new ImageCheck.Refused(
                    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                    "media type '" + mediaType + "' is not supported; allowed: " + ImageFormat.allowed());
        }
        Optional<ImageFormat> sniffed = ImageFormat.sniff(data);
        if (sniffed.isEmpty()) {
            return new ImageCheck.Refused(
                    ErrorCode.CORRUPT_IMAGE,
                    "the data does not start with a " + declared.get().mediaType() + " signature");
        }
        if (sniffed.get() != declared.get()) {
            return new ImageCheck.Refused(
                    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                    "the data is " + sniffed.get().mediaType() + " but the request says "
                            + declared.get().mediaType());
        }
        ImageFormat format = declared.get();
        Optional<ImageReader> reader = reader(format);
        if (reader.isEmpty()) {
            return new ImageCheck.Refused(
                    ErrorCode.UNSUPPORTED_MEDIA_TYPE, "this worker has no " + format.mediaType() + " reader");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader r = reader.get();
            r.setInput(in, true, true);
            int width = r.getWidth(0);
            int height = r.getHeight(0);
            if (width < 1 || height < 1) {
                return new ImageCheck.Refused(
                        ErrorCode.CORRUPT_IMAGE, "the header declares a " + width + "x" + height + " image");
            }
            long pixels = (long) width * height;
            if (pixels > limits.maxPixels()) {
                return new ImageCheck.Refused(
                        ErrorCode.INPUT_TOO_LARGE,
                        "the image is " + width + "x" + height
                                + " (" + pixels + " pixels); at most " + limits.maxPixels()
                                + " pixels are allowed (limits.max-image-pixels)");
            }
            return new ImageCheck.Accepted(data, format, width, height);
        } catch (IOException | RuntimeException e) {
            return new ImageCheck.Refused(
                    ErrorCode.CORRUPT_IMAGE, "the " + format.mediaType() + " header cannot be read: " + e.getMessage());
        } finally {
            reader.get().dispose();
        }
    }

    /**
     * Decodes an image that {@link #check} accepted into BGR.
     *
     * @throws CorruptImageException when the data cannot be decoded completely (truncated, damaged)
     */
    public static BgrImage decode(ImageCheck.Accepted image) throws CorruptImageException {
        ImageReader reader = reader(image.format())
                .orElseThrow(
                        () -> new CorruptImageException("no " + image.format().mediaType() + " reader"));
        List<String> warnings = new ArrayList<>(1);
        IIOReadWarningListener warningListener = (source, warning) -> warnings.add(warning);
        BufferedImage decoded;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(image.data()))) {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener(warningListener);
            decoded = reader.read(0);
        } catch (IOException | RuntimeException e) {
            throw new CorruptImageException(
                    "the " + image.format().mediaType() + " data cannot be decoded: " + e.getMessage(), e);
        } finally {
            reader.dispose();
        }
        if (!warnings.isEmpty()) {
            throw new CorruptImageException(
                    "the " + image.format().mediaType() + " data is damaged: " + String.join("; ", warnings));
        }
        if (decoded.getWidth() != image.width() || decoded.getHeight() != image.height()) {
            throw new CorruptImageException("the header says " + image.width() + "x" + image.height()
                    + " but the data decodes to " + decoded.getWidth() + "x" + decoded.getHeight());
        }
        return toBgr(decoded);
    }

    /** Any BufferedImage as BGR; alpha is composited onto white. */
    public static BgrImage toBgr(BufferedImage image) {
        BufferedImage bgr;
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            bgr = image;
        } else {
            bgr = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = bgr.createGraphics();
            try {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, image.getWidth(), image.getHeight());
                g.drawImage(image, 0, 0, null);
            } finally {
                g.dispose();
            }
        }
        byte[] data = ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
        if (data.length != image.getWidth() * image.getHeight() * 3) {
            data = Arrays.copyOf(data, image.getWidth() * image.getHeight() * 3);
        }
        return new BgrImage(image.getWidth(), image.getHeight(), data);
    }

    private static Optional<ImageReader> reader(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        return readers.hasNext() ? Optional.of(readers.next()) : Optional.empty();
    }
}
