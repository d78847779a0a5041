using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Dllm.Samples.ScaleOut;

/// <summary>
/// A YARP load-balancing policy (<c>"LoadBalancingPolicy": "DllmConversation"</c>) for dllm replicas. A request with
/// the <see cref="HeaderName"/> header goes to the replica its conversation hashes to (rendezvous hashing over the
/// replicas the health checks leave available): the same replica for every turn while it lives, so its prefix cache
/// hits, and when it dies only its own conversations move, each to one other replica. A request without the header
/// goes to the less busy of two replicas picked at random (power of two choices, by requests in flight).
/// </summary>
/// <remarks>
/// YARP's own session affinity needs the client to send back a key the proxy set on the first response (a cookie or an
/// encrypted header); an OpenAI SDK or curl client does not. A conversation id the client chooses is enough here, and
/// several proxies agree on the replica without sharing any state.
/// </remarks>
public sealed class ConversationAffinityPolicy : ILoadBalancingPolicy
{
    /// <summary>The policy's name in the cluster configuration.</summary>
    public const string PolicyName = "DllmConversation";

    /// <summary>The request header naming the conversation.</summary>
    public const string HeaderName = "X-Dllm-Conversation";

    /// <inheritdoc />
    public string Name => PolicyName;

    /// <inheritdoc />
    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(availableDestinations);
        if (availableDestinations.Count == 0)
            return null;
        string conversation = context.Request.Headers[HeaderName].ToString();
        return conversation.Length > 0 ? ByConversation(conversation, availableDestinations) : LessBusyOfTwo(availableDestinations);
    }

    /// <summary>Rendezvous (highest random weight) hashing: the destination whose hash with the conversation is highest.</summary>
    internal static DestinationState ByConversation(string conversation, IReadOnlyList<DestinationState> destinations)
    {
        DestinationState best = destinations[0];
        ulong bestScore = 0;
        foreach (var destination in destinations)
        {
            ulong score = BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"{destination.DestinationId}\n{conversation}")));
            if (score >= bestScore)
                (best, bestScore) = (destination, score);
        }
        return best;
    }

    private static DestinationState LessBusyOfTwo(IReadOnlyList<DestinationState> destinations)
    {
        if (destinations.Count == 1)
            return destinations[0];
        int first = Random.Shared.Next(destinations.Count);
        int second = (first + 1 + Random.Shared.Next(destinations.Count - 1)) % destinations.Count;
        var (a, b) = (destinations[first], destinations[second]);
        return a.ConcurrentRequestCount <= b.ConcurrentRequestCount ? a : b;
    }
}
