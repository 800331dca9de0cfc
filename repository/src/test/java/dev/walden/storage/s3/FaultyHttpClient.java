package dev.walden.storage.s3;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;

/**
 * Sits between walden's S3 driver and a real HTTP client to the real server, and breaks chosen
 * requests the ways object stores break: an error status, a connection reset halfway through an
 * upload, a stall, an error hidden in a 200. Every request is recorded, so tests can say how
 * many attempts were made.
 */
public final class FaultyHttpClient implements SdkHttpClient {
    /** What to do to a request. */
    public enum Fault {
        /** A 503 SlowDown, as a throttling or failing store sends. */
        STATUS_503,
        /** A 500 InternalError. */
        STATUS_500,
        /** A 403 AccessDenied. */
        STATUS_403,
        /** The request reaches the server, but the connection drops after half of the body. */
        RESET_MID_BODY,
        /** No answer for a minute (the SDK's timeout aborts it first). */
        STALL,
        /** HTTP 200 whose body is an error document (S3 does this for CompleteMultipartUpload). */
        ERROR_IN_200
    }

    /** One injected fault: which requests, how many times. */
    private record Rule(Predicate<SdkHttpRequest> matches, Fault fault, int[] remaining) {
    }

    private final SdkHttpClient delegate = Apache5HttpClient.builder().build();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    /** Breaks the next {@code times} requests that match. */
    public FaultyHttpClient inject(Predicate<SdkHttpRequest> matches, Fault fault, int times) {
        rules.add(new Rule(matches, fault, new int[] {times}));
        return this;
    }

    public void heal() {
        rules.clear();
    }

    /**
     * "METHOD path?query" and the headers walden's guarantees rest on (conditions, encryption,
     * storage class, Content-MD5) of every request seen, faulty or not.
     */
    public List<String> requests() {
        return requests;
    }

    private static String recorded(SdkHttpRequest http, String header) {
        return http.firstMatchingHeader(header).map(v -> " " + header + ": " + v).orElse("");
    }

    public long count(Predicate<String> which) {
        return requests.stream().filter(which).count();
    }

    public static Predicate<SdkHttpRequest> method(String method) {
        return r -> r.method().name().equals(method);
    }

    public static Predicate<SdkHttpRequest> completion() {
        return r -> r.method().name().equals("POST") && r.rawQueryParameters().containsKey("uploadId");
    }

    public static Predicate<SdkHttpRequest> part() {
        return r -> r.method().name().equals("PUT") && r.rawQueryParameters().containsKey("partNumber");
    }

    private synchronized Fault faultFor(SdkHttpRequest request) {
        for (Rule rule : rules) {
            if (rule.remaining()[0] > 0 && rule.matches().test(request)) {
                rule.remaining()[0]--;
                return rule.fault();
            }
        }
        return null;
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        SdkHttpRequest http = request.httpRequest();
        requests.add(http.method() + " " + http.encodedPath() + (http.rawQueryParameters().isEmpty() ? ""
                : "?" + String.join("&", http.rawQueryParameters().keySet()))
                + http.firstMatchingHeader("If-None-Match").map(v -> " If-None-Match: " + v).orElse("")
                + http.firstMatchingHeader("If-Match").map(v -> " If-Match: " + v).orElse("")
                + recorded(http, "x-amz-server-side-encryption") + recorded(http, "x-amz-server-side-encryption-aws-kms-key-id")
                + recorded(http, "x-amz-storage-class") + recorded(http, "Content-MD5"));
        Fault fault = faultFor(http);
        if (fault == null) {
            return delegate.prepareRequest(request);
        }
        return switch (fault) {
            case STATUS_503 -> answer(503, "SlowDown", "Please reduce your request rate.");
            case STATUS_500 -> answer(500, "InternalError", "We encountered an internal error. Please try again.");
            case STATUS_403 -> answer(403, "AccessDenied", "Access Denied");
            case ERROR_IN_200 -> answer(200, "InternalError", "We encountered an internal error. Please try again.");
            case RESET_MID_BODY -> delegate.prepareRequest(HttpExecuteRequest.builder().request(http)
                    .contentStreamProvider(() -> resetHalfway(request)).build());
            case STALL -> stall();
        };
    }

    private static InputStream resetHalfway(HttpExecuteRequest request) {
        long length = request.httpRequest().firstMatchingHeader("Content-Length").map(Long::parseLong).orElse(2L);
        InputStream body = request.contentStreamProvider().orElseThrow().newStream();
        return new FilterInputStream(body) {
            private long sent;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent >= length / 2) {
                    throw new SocketException("Connection reset (injected after " + sent + " of " + length + " bytes)");
                }
                int n = super.read(b, off, (int) Math.min(len, length / 2 - sent));
                sent += Math.max(n, 0);
                return n;
            }
        };
    }

    private static ExecutableHttpRequest answer(int status, String code, String message) {
        byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message
                + "</Message><RequestId>injected</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() {
                return HttpExecuteResponse.builder().response(SdkHttpResponse.builder().statusCode(status)
                        .putHeader("Content-Type", "application/xml")
                        .putHeader("Content-Length", Integer.toString(xml.length)).build())
                        .responseBody(AbortableInputStream.create(new ByteArrayInputStream(xml))).build();
            }

            @Override
            public void abort() {
            }
        };
    }

    private static ExecutableHttpRequest stall() {
        CountDownLatch aborted = new CountDownLatch(1);
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() throws IOException {
                try {
                    aborted.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("stalled request aborted");
            }

            @Override
            public void abort() {
                aborted.countDown();
            }
        };
    }

    @Override
    public void close() {
        delegate.close();
    }
}
