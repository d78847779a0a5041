using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Dllm.Server.Cli;

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
}
