package io.modelpool.schemas.serde;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** A local port that nothing listens on: connections to it are refused at once. */
final class ClosedPort {
    private ClosedPort() {}

    static String url() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
