import { defineStrings } from "../ui/i18n.ts";

/**
 * The /trust page: how to make each kind of device trust this box's local certificate authority.
 * Steps are one string per system, one step per line.
 */
export const tlsStrings = defineStrings(
  {
    trustTitle: "Trust this Hearth on your devices",
    trustIntro:
      "Hearth runs on your clinic's own computer and vouches for its address with a certificate authority it made itself. Each computer, phone or tablet that uses Hearth must trust that authority once. After that, the browser shows a secure connection and passkeys work.",
    stableName: "Always open Hearth at {url}. Passkeys belong to that name: the same Hearth under another name or address will not recognise them.",
    download: "Download the certificate (hearth-ca.crt)",
    fingerprint: "SHA-256 fingerprint",
    fingerprintCheck:
      "Before you trust it, compare this fingerprint with the one Hearth prints when it starts (ask your administrator). They must match exactly; if they do not, do not install the certificate.",
    scope: "This authority can vouch only for {names}. It cannot be used to impersonate any other website.",
    afterwards: "When it is done, close and reopen the browser, then open {url}.",
    windows: "Windows",
    windowsSteps:
      "Download the certificate and open it.\nChoose Install Certificate, then Local Machine (or Current User if you are not an administrator), then Next.\nChoose Place all certificates in the following store, then Browse, and pick Trusted Root Certification Authorities.\nChoose Next, then Finish, and answer Yes to the security warning. Edge and Chrome now trust Hearth.",
    macos: "macOS",
    macosSteps:
      "Download the certificate and open it: Keychain Access adds it to your keychain.\nIn Keychain Access, open the certificate whose name starts with Hearth local CA.\nUnder Trust, set When using this certificate to Always Trust.\nClose the window and confirm with your password. Safari and Chrome now trust Hearth.",
    ios: "iPhone and iPad",
    iosSteps:
      "Open this page in Safari, tap the download link and allow the configuration profile to download.\nOpen Settings, then General, then VPN & Device Management, tap the Hearth local CA profile and tap Install.\nOpen Settings, then General, then About, then Certificate Trust Settings, and turn on full trust for Hearth local CA.",
    android: "Android",
    androidSteps:
      "Download the certificate.\nOpen Settings, then Security (or Security & privacy), then Encryption & credentials, then Install a certificate, then CA certificate. Menu names differ between makers: search Settings for “CA certificate”.\nChoose Install anyway and pick the downloaded hearth-ca.crt. Your phone may ask you to set a screen lock first.\nChrome now trusts Hearth.",
    chromeos: "Chromebook (ChromeOS)",
    chromeosSteps:
      "Download the certificate.\nOpen Settings and search for Manage certificates.\nUnder Authorities (or certificates installed by you), choose Import and pick hearth-ca.crt.\nTick Trust this certificate for identifying websites and choose OK.",
    linux: "Linux and Firefox",
    firefoxSteps:
      "Firefox keeps its own list on every system: open Settings, then Privacy & Security, then View Certificates.\nUnder Authorities, choose Import and pick hearth-ca.crt.\nTick Trust this CA to identify websites and choose OK.",
    linuxChrome: "Chrome or Chromium on Linux: import the file under Settings, Privacy and security, Manage certificates, Authorities, or run this command (package libnss3-tools):",
    linuxSystem: "For the whole system (command-line tools), on Debian or Ubuntu:",
  },
  {
    trustTitle: "Faire confiance à ce Hearth sur vos appareils",
    trustIntro:
      "Hearth fonctionne sur l'ordinateur de votre clinique et garantit son adresse avec une autorité de certification qu'il a créée lui-même. Chaque ordinateur, téléphone ou tablette qui utilise Hearth doit faire confiance à cette autorité une fois. Ensuite, le navigateur affiche une connexion sécurisée et les clés d'accès fonctionnent.",
    stableName: "Ouvrez toujours Hearth à l'adresse {url}. Les clés d'accès sont liées à ce nom : le même Hearth sous un autre nom ou une autre adresse ne les reconnaîtra pas.",
    download: "Télécharger le certificat (hearth-ca.crt)",
    fingerprint: "Empreinte SHA-256",
    fingerprintCheck:
      "Avant de lui faire confiance, comparez cette empreinte avec celle que Hearth affiche au démarrage (demandez à votre administrateur). Elles doivent être identiques ; sinon, n'installez pas le certificat.",
    scope: "Cette autorité ne peut garantir que {names}. Elle ne peut pas servir à usurper un autre site web.",
    afterwards: "Une fois terminé, fermez et rouvrez le navigateur, puis ouvrez {url}.",
    windows: "Windows",
    windowsSteps:
      "Téléchargez le certificat et ouvrez-le.\nChoisissez Installer le certificat, puis Ordinateur local (ou Utilisateur actuel si vous n'êtes pas administrateur), puis Suivant.\nChoisissez Placer tous les certificats dans le magasin suivant, puis Parcourir, et sélectionnez Autorités de certification racines de confiance.\nChoisissez Suivant, puis Terminer, et répondez Oui à l'avertissement de sécurité. Edge et Chrome font maintenant confiance à Hearth.",
    macos: "macOS",
    macosSteps:
      "Téléchargez le certificat et ouvrez-le : Trousseaux d'accès l'ajoute à votre trousseau.\nDans Trousseaux d'accès, ouvrez le certificat dont le nom commence par Hearth local CA.\nSous Se fier, réglez Lors de l'utilisation de ce certificat sur Toujours approuver.\nFermez la fenêtre et confirmez avec votre mot de passe. Safari et Chrome font maintenant confiance à Hearth.",
    ios: "iPhone et iPad",
    iosSteps:
      "Ouvrez cette page dans Safari, touchez le lien de téléchargement et autorisez le téléchargement du profil de configuration.\nOuvrez Réglages, puis Général, puis VPN et gestion de l'appareil, touchez le profil Hearth local CA puis Installer.\nOuvrez Réglages, puis Général, puis Informations, puis Réglages des certificats, et activez la confiance totale pour Hearth local CA.",
    android: "Android",
    androidSteps:
      "Téléchargez le certificat.\nOuvrez Paramètres, puis Sécurité (ou Sécurité et confidentialité), puis Chiffrement et identifiants, puis Installer un certificat, puis Certificat CA. Les menus varient selon les fabricants : cherchez « certificat CA » dans les Paramètres.\nChoisissez Installer quand même et sélectionnez le fichier hearth-ca.crt téléchargé. Le téléphone peut d'abord vous demander un verrouillage d'écran.\nChrome fait maintenant confiance à Hearth.",
    chromeos: "Chromebook (ChromeOS)",
    chromeosSteps:
      "Téléchargez le certificat.\nOuvrez Paramètres et cherchez Gérer les certificats.\nSous Autorités (ou certificats installés par vous), choisissez Importer et sélectionnez hearth-ca.crt.\nCochez Considérer ce certificat comme fiable pour identifier des sites Web et choisissez OK.",
    linux: "Linux et Firefox",
    firefoxSteps:
      "Firefox garde sa propre liste sur tous les systèmes : ouvrez Paramètres, puis Vie privée et sécurité, puis Afficher les certificats.\nSous Autorités, choisissez Importer et sélectionnez hearth-ca.crt.\nCochez Confirmer cette AC pour identifier des sites web et choisissez OK.",
    linuxChrome: "Chrome ou Chromium sous Linux : importez le fichier dans Paramètres, Confidentialité et sécurité, Gérer les certificats, Autorités, ou lancez cette commande (paquet libnss3-tools) :",
    linuxSystem: "Pour tout le système (outils en ligne de commande), sous Debian ou Ubuntu :",
  },
  {
    trustTitle: "Confíe en este Hearth desde sus dispositivos",
    trustIntro:
      "Hearth funciona en el propio ordenador de su clínica y garantiza su dirección con una autoridad de certificación creada por él mismo. Cada ordenador, teléfono o tableta que use Hearth debe confiar una vez en esa autoridad. Después, el navegador muestra una conexión segura y las llaves de acceso funcionan.",
    stableName: "Abra siempre Hearth en {url}. Las llaves de acceso pertenecen a ese nombre: el mismo Hearth con otro nombre u otra dirección no las reconocerá.",
    download: "Descargar el certificado (hearth-ca.crt)",
    fingerprint: "Huella SHA-256",
    fingerprintCheck:
      "Antes de confiar en él, compare esta huella con la que Hearth muestra al arrancar (pregunte a su administrador). Deben coincidir exactamente; si no coinciden, no instale el certificado.",
    scope: "Esta autoridad solo puede garantizar {names}. No puede usarse para suplantar ningún otro sitio web.",
    afterwards: "Cuando termine, cierre y vuelva a abrir el navegador, y luego abra {url}.",
    windows: "Windows",
    windowsSteps:
      "Descargue el certificado y ábralo.\nElija Instalar certificado, luego Equipo local (o Usuario actual si no es administrador) y luego Siguiente.\nElija Colocar todos los certificados en el siguiente almacén, luego Examinar, y seleccione Entidades de certificación raíz de confianza.\nElija Siguiente, luego Finalizar, y responda Sí a la advertencia de seguridad. Edge y Chrome ya confían en Hearth.",
    macos: "macOS",
    macosSteps:
      "Descargue el certificado y ábralo: Acceso a Llaveros lo añade a su llavero.\nEn Acceso a Llaveros, abra el certificado cuyo nombre empieza por Hearth local CA.\nEn Confiar, ponga Al utilizar este certificado en Confiar siempre.\nCierre la ventana y confirme con su contraseña. Safari y Chrome ya confían en Hearth.",
    ios: "iPhone y iPad",
    iosSteps:
      "Abra esta página en Safari, toque el enlace de descarga y permita que se descargue el perfil de configuración.\nAbra Ajustes, luego General, luego VPN y gestión de dispositivos, toque el perfil Hearth local CA y toque Instalar.\nAbra Ajustes, luego General, luego Información, luego Ajustes de confianza de certificados, y active la confianza total para Hearth local CA.",
    android: "Android",
    androidSteps:
      "Descargue el certificado.\nAbra Ajustes, luego Seguridad (o Seguridad y privacidad), luego Cifrado y credenciales, luego Instalar un certificado y luego Certificado de CA. Los nombres de los menús cambian según el fabricante: busque «certificado de CA» en Ajustes.\nElija Instalar de todos modos y seleccione el archivo hearth-ca.crt descargado. Puede que el teléfono le pida antes un bloqueo de pantalla.\nChrome ya confía en Hearth.",
    chromeos: "Chromebook (ChromeOS)",
    chromeosSteps:
      "Descargue el certificado.\nAbra Configuración y busque Gestionar certificados.\nEn Autoridades (o certificados instalados por usted), elija Importar y seleccione hearth-ca.crt.\nMarque Confiar en este certificado para identificar sitios web y elija Aceptar.",
    linux: "Linux y Firefox",
    firefoxSteps:
      "Firefox guarda su propia lista en todos los sistemas: abra Ajustes, luego Privacidad y seguridad, luego Ver certificados.\nEn Autoridades, elija Importar y seleccione hearth-ca.crt.\nMarque Confiar en esta CA para identificar sitios web y elija Aceptar.",
    linuxChrome: "Chrome o Chromium en Linux: importe el archivo en Configuración, Privacidad y seguridad, Gestionar certificados, Autoridades, o ejecute este comando (paquete libnss3-tools):",
    linuxSystem: "Para todo el sistema (herramientas de línea de comandos), en Debian o Ubuntu:",
  },
);
