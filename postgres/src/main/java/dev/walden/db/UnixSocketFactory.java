package dev.walden.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * Lets pgjdbc connect through PostgreSQL's Unix domain socket ({@code <dir>/.s.PGSQL.<port>}),
 * with the JDK's own Unix-domain channels: the way the agent reaches a local server with peer
 * authentication and no password. pgjdbc instantiates it from the {@code socketFactory}
 * connection property, with the socket directory as {@code socketFactoryArg}.
 */
public final class UnixSocketFactory extends SocketFactory {
    private final Path directory;

    public UnixSocketFactory(String directory) {
        this.directory = Path.of(directory);
    }

    @Override
    public Socket createSocket() {
        return new UnixSocket(directory);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Socket socket = createSocket();
        socket.connect(InetSocketAddress.createUnresolved(host, port));
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return createSocket(host.getHostName(), port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return createSocket(address, port);
    }

    /** Only what pgjdbc uses of a Socket: connect, the two streams, close, and options it may set. */
    private static final class UnixSocket extends Socket {
        private final Path directory;
        private SocketChannel channel;
        private Selector readable;
        private Selector writable;
        private InputStream in;
        private OutputStream out;

        UnixSocket(Path directory) {
            this.directory = directory;
        }

        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            connect(endpoint, 0);
        }

        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
            int port = ((InetSocketAddress) endpoint).getPort();
            Path path = directory.resolve(".s.PGSQL." + port);
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(path));
                // non-blocking from here, so that a read can honour pgjdbc's socketTimeout
                channel.configureBlocking(false);
                readable = Selector.open();
                writable = Selector.open();
                channel.register(readable, SelectionKey.OP_READ);
                channel.register(writable, SelectionKey.OP_WRITE);
            } catch (IOException e) {
                close();
                throw new IOException("cannot connect to PostgreSQL's socket '" + path + "': " + e.getMessage(), e);
            }
            in = new TimedInput();
            out = new WaitingOutput();
        }

        /** Reads that give up after {@code soTimeout} ms (0: wait for ever), as a TCP socket's do. */
        private final class TimedInput extends InputStream {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                long deadline = soTimeout > 0 ? System.nanoTime() + soTimeout * 1_000_000L : Long.MAX_VALUE;
                while (true) {
                    int n = channel.read(buffer);
                    if (n != 0) {
                        return n; // -1 at the end of the stream
                    }
                    long left = deadline == Long.MAX_VALUE ? 0 : (deadline - System.nanoTime()) / 1_000_000L;
                    if (deadline != Long.MAX_VALUE && left <= 0) {
                        throw new SocketTimeoutException("no answer from PostgreSQL within " + soTimeout + " ms");
                    }
                    readable.select(Math.max(0, left));
                    readable.selectedKeys().clear();
                }
            }
        }

        /** Writes everything, waiting while the socket's buffer is full. */
        private final class WaitingOutput extends OutputStream {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                while (buffer.hasRemaining()) {
                    if (channel.write(buffer) == 0) {
                        writable.select();
                        writable.selectedKeys().clear();
                    }
                }
            }
        }

        @Override
        public InputStream getInputStream() throws IOException {
            if (in == null) {
                throw new SocketException("not connected");
            }
            return in;
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            if (out == null) {
                throw new SocketException("not connected");
            }
            return out;
        }

        @Override
        public boolean isConnected() {
            return channel != null && channel.isConnected();
        }

        @Override
        public boolean isClosed() {
            return channel != null && !channel.isOpen();
        }

        @Override
        public synchronized void close() throws IOException {
            try {
                for (Selector selector : new Selector[] {readable, writable}) {
                    if (selector != null) {
                        selector.close();
                    }
                }
            } finally {
                if (channel != null) {
                    channel.close();
                }
            }
        }

        // TCP options mean nothing on a Unix socket; the read timeout does (pgjdbc's socketTimeout).
        // The getters are overridden as well: java.net.Socket's would open a TCP socket to answer.
        private volatile int soTimeout;

        @Override
        public void setTcpNoDelay(boolean on) {
        }

        @Override
        public boolean getTcpNoDelay() {
            return true;
        }

        @Override
        public void setKeepAlive(boolean on) {
        }

        @Override
        public boolean getKeepAlive() {
            return false;
        }

        @Override
        public synchronized void setSoTimeout(int timeout) {
            soTimeout = timeout;
        }

        @Override
        public synchronized int getSoTimeout() {
            return soTimeout;
        }

        @Override
        public synchronized void setReceiveBufferSize(int size) {
        }

        @Override
        public synchronized int getReceiveBufferSize() {
            return 65536;
        }

        @Override
        public synchronized void setSendBufferSize(int size) {
        }

        @Override
        public synchronized int getSendBufferSize() {
            return 65536;
        }

        @Override
        public java.net.InetAddress getInetAddress() {
            return java.net.InetAddress.getLoopbackAddress();
        }

        @Override
        public int getPort() {
            return 0;
        }
    }
}
