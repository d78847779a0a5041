using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Hosting;

/// <summary>
/// Binds the <see cref="DllmServerOptions.ConfigurationSection"/> section of the app's configuration (appsettings.json,
/// <c>Dllm__Server__DrainTimeout</c> environment variables, ...) onto <see cref="DllmServerOptions"/>, before the
/// <c>AddDllmServer</c> delegate runs (so code and flags win over configuration). An app without configuration binds
/// nothing. A value of the wrong type is reported as a validation failure naming the key.
/// </summary>
internal sealed class DllmServerConfigurationBinder(IServiceProvider services) : IConfigureOptions<DllmServerOptions>
{
    /// <inheritdoc />
    public void Configure(DllmServerOptions options)
    {
        if (services.GetService<IConfiguration>() is not { } configuration)
            return;
        var section = configuration.GetSection(DllmServerOptions.ConfigurationSection);
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(DllmServerOptions), [e.Message]);
        }
    }
}
