package dev.walden.agent.server;

import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioChannelOption;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * How the agent's log names one connection on its socket: Netty's short channel id, and the user
 * the kernel says is at the other end (SO_PEERCRED), so that an operator can find the process
 * ({@code ss -xp}) that drips bytes or floods the socket.
 */
final class PeerName {
    private PeerName() {
    }

    static String of(Channel channel) {
        String id = "connection " + channel.id().asShortText();
        try {
            UnixDomainPrincipal peer = channel.config().getOption(NioChannelOption.of(ExtendedSocketOptions.SO_PEERCRED));
            return peer == null ? id : id + " (user " + peer.user().getName() + ")";
        } catch (RuntimeException e) {
            return id; // closed meanwhile, or not a Unix domain socket (tests' embedded channels)
        }
    }
}
