package dev.walden.storage.s3;

import java.net.URI;
import java.util.Properties;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-protocol server (S3Proxy over an in-memory blob store) on a free loopback port, with
 * AWS signature v4 checked, for tests. walden finds its credentials the way it finds any: through
 * the SDK's default chain, so tests set {@code aws.accessKeyId}/{@code aws.secretAccessKey}
 * (system properties in this JVM) or {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}
 * (in a child's environment).
 */
public final class S3TestServer implements AutoCloseable {
    public static final String ACCESS_KEY = "walden-test-access";
    public static final String SECRET_KEY = "walden-test-secret-0123456789";

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final URI endpoint;

    private S3TestServer(S3Proxy proxy, BlobStoreContext context, URI endpoint) {
        this.proxy = proxy;
        this.context = context;
        this.endpoint = endpoint;
    }

    public static S3TestServer start() throws Exception {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
        System.setProperty("aws.region", "us-east-1");
        BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials("unused", "unused")
                .overrides(new Properties()).build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!AbstractLifeCycle.STARTED.equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        return new S3TestServer(proxy, context, URI.create("http://127.0.0.1:" + proxy.getPort()));
    }

    public URI endpoint() {
        return endpoint;
    }

    /** A client of the server for test set-up and inspection (creating buckets, looking behind walden). */
    public S3Client client() {
        // no automatic CRC trailers: S3Proxy answers them with 501, as some other stores do
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY,
                        SECRET_KEY))).build();
    }

    public void createBucket(String bucket) {
        try (S3Client c = client()) {
            c.createBucket(r -> r.bucket(bucket));
        }
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop", e);
        } finally {
            context.close();
        }
    }
}
