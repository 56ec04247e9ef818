using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Witness.Server.Secrets;

/// <summary>
/// The Data Protection key ring kept in a folder only its owner may open (0700, its key files 0600,
/// as <see cref="DataFolderPermissions"/> keeps the data folder). Data Protection makes the folder and
/// its first key on first use, after start, with the process's umask (0755 and 0644); this repository
/// makes the folder 0700 before writing and restricts each key file as it is written.
/// </summary>
internal sealed class OwnerOnlyKeyRing(DirectoryInfo folder, ILoggerFactory logging) : IXmlRepository
{
    private readonly FileSystemXmlRepository _files = new(folder, logging);

    /// <summary>Keeps the key ring of <paramref name="builder"/> in <paramref name="folder"/>, owner-only.</summary>
    public static IDataProtectionBuilder Use(IDataProtectionBuilder builder, string folder)
    {
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services =>
        {
            var logging = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            return new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new OwnerOnlyKeyRing(new DirectoryInfo(folder), logging));
        });
        return builder;
    }

    public IReadOnlyCollection<XElement> GetAllElements() => _files.GetAllElements();

    public void StoreElement(XElement element, string friendlyName)
    {
        if (!OperatingSystem.IsWindows() && !folder.Exists)
        {
            Directory.CreateDirectory(folder.FullName, DataFolderPermissions.Folder);
        }

        _files.StoreElement(element, friendlyName);
        DataFolderPermissions.Restrict(folder.FullName);
    }
}
