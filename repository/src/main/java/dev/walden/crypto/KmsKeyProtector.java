package dev.walden.crypto;

import java.io.IOException;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;

/**
 * Envelope encryption with an AWS KMS key: KMS makes each data key ({@code GenerateDataKey},
 * AES_256) and keyring.json keeps the ciphertext blob KMS returned, which only KMS opens again
 * ({@code Decrypt}), for a caller IAM allows. The context is sent as the KMS encryption context
 * {@code walden=<context>}, so CloudTrail names what was opened, and a blob opened under another
 * context fails.
 */
final class KmsKeyProtector implements KeyProtector {
    private final KmsClient kms;
    private final String keyId;

    KmsKeyProtector(KmsClient kms, String keyId) {
        this.kms = kms;
        this.keyId = keyId;
    }

    @Override
    public NewKey generate(String context) throws IOException {
        try {
            GenerateDataKeyResponse response = kms.generateDataKey(b -> b.keyId(keyId).keySpec(DataKeySpec.AES_256)
                    .encryptionContext(Map.of("walden", context)));
            return new NewKey(response.plaintext().asByteArray(), response.ciphertextBlob().asByteArray());
        } catch (SdkException e) {
            throw new IOException("KMS key " + keyId + " could not make a data key: " + oneLine(e), e);
        }
    }

    @Override
    public byte[] wrap(byte[] plain, String context) throws IOException {
        try {
            return kms.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromByteArray(plain))
                    .encryptionContext(Map.of("walden", context))).ciphertextBlob().asByteArray();
        } catch (SdkException e) {
            throw new IOException("KMS key " + keyId + " could not wrap " + context + ": " + oneLine(e), e);
        }
    }

    @Override
    public byte[] unwrap(byte[] wrapped, String context) throws IOException {
        try {
            return kms.decrypt(b -> b.keyId(keyId).ciphertextBlob(SdkBytes.fromByteArray(wrapped))
                    .encryptionContext(Map.of("walden", context))).plaintext().asByteArray();
        } catch (InvalidCiphertextException | IncorrectKeyException e) {
            throw new WrongKeyException(describe() + " does not open " + context);
        } catch (SdkException e) {
            throw new IOException(describe() + " could not open " + context + ": " + oneLine(e), e);
        }
    }

    @Override
    public String describe() {
        return "KMS key " + keyId;
    }

    private static String oneLine(SdkException e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
