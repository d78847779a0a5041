using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Dllm.Cli;

/// <summary>Binds Kestrel to <c>--host</c> and <c>--port</c>: an IP address (0.0.0.0 and :: for all interfaces) or <c>localhost</c>.</summary>
internal static class ListenEndpoint
{
    /// <summary>Adds the listener.</summary>
    /// <exception cref="ServeSetupException">The host is neither an IP address nor localhost, or the port is out of range.</exception>
    public static void Configure(KestrelServerOptions kestrel, string host, int port)
    {
        if (port is < 0 or > 65535)
            throw new ServeSetupException($"--port {port} is not a port number (0-65535).");
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            kestrel.ListenLocalhost(port);
        else if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
            kestrel.Listen(address, port);
        else
            throw new ServeSetupException($"--host '{host}' is not an IP address or localhost.");
    }

    /// <summary>Checks the host and port without binding.</summary>
    public static void Check(string host, int port) => Configure(new KestrelServerOptions(), host, port);

    /// <summary>
    /// Why the web server could not listen on <paramref name="host"/>:<paramref name="port"/> (a checked pair), or
    /// null when it can: binds a socket there and closes it at once, so a port in use is found before the model loads.
    /// Port 0 (any free port) always works.
    /// </summary>
    public static string? FindConflict(string host, int port)
    {
        if (port == 0)
            return null;
        bool localhost = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase);
        var addresses = localhost ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : new[] { IPAddress.Parse(host.Trim('[', ']')) };
        foreach (var address in addresses)
        {
            if (TryBind(address, port) is SocketError error && !(localhost && address.AddressFamily == AddressFamily.InterNetworkV6 && error != SocketError.AddressAlreadyInUse))
                return Describe(error);
        }
        return null;
    }

    private static SocketError? TryBind(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen();
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.AddressAlreadyInUse => "address in use",
        SocketError.AccessDenied => "permission denied",
        SocketError.AddressNotAvailable => "the address is not one of this machine's",
        _ => error.ToString(),
    };
}
