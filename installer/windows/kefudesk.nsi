; KefuDesk (客服台) Windows installer: per machine into Program Files, Start-menu and desktop
; shortcuts, an uninstaller, and silent switches that write IT's deployment config.
;
; Build it with `python installer/build.py nsis` (docs/install-windows.md), which passes:
;   VERSION       0.1.0                     VIVERSION  0.1.0.0 (Windows' version resource)
;   PAYLOAD       the PyInstaller bundle    OUTFILE    dist\kefudesk-<version>-setup.exe
;   ICON          a generated .ico          PAYLOAD_LIST  the bundle's top-level entries, as
;   PLACEHOLDER   (CI on Linux only)                      Delete / RMDir /r lines
;   SIGN          a signing command, from KEFU_SIGN (optional): it signs setup and uninstaller
; and -INPUTCHARSET UTF8 (this file holds Chinese text).
;
; Silent install (exit code 0 installed, 1 cancelled, 2 failed; see the doc):
;   kefudesk-<version>-setup.exe /S /SERVER=https://kefu.example.com /SHARED=1 [/D=C:\dir]
; Each config switch becomes a key=value for `kefudesk.exe --write-deploy-config`, which checks
; and writes %ProgramData%\KefuDesk\deploy.toml; this script never writes TOML itself.

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma

!ifndef VERSION | PAYLOAD | OUTFILE | ICON | PAYLOAD_LIST
  !error "Build with installer/build.py nsis (it defines VERSION, PAYLOAD, OUTFILE, ICON, PAYLOAD_LIST)"
!endif
!if ! /FileExists "${PAYLOAD}\kefudesk.exe"
  !error "No Windows bundle at ${PAYLOAD} (kefudesk.exe is missing): run `python installer/build.py bundle` on Windows first, or build with --placeholder"
!endif
!ifndef VIVERSION
  !define VIVERSION "${VERSION}.0"
!endif
!ifdef SIGN  ; e.g. signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a
  !finalize '${SIGN} "%1"' = 0
  !uninstfinalize '${SIGN} "%1"' = 0
!endif

!define APP_NAME "KefuDesk 客服台"
!define PUBLISHER "KefuDesk team"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\KefuDesk"
!define SHORTCUT "KefuDesk 客服台.lnk"
!define LOG "$TEMP\KefuDesk-setup.log"

!include MUI2.nsh
!include FileFunc.nsh
!include LogicLib.nsh
!include WinVer.nsh
!include x64.nsh

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\KefuDesk"
RequestExecutionLevel admin
ShowInstDetails show
ShowUnInstDetails show
!ifdef PLACEHOLDER
  Caption "${APP_NAME} ${VERSION} - PLACEHOLDER, NOT FOR RELEASE"
  BrandingText "PLACEHOLDER payload: build the real bundle on Windows"
!else
  BrandingText "${APP_NAME} ${VERSION}"
!endif

Var Params  ; the command line, for the switches
Var Config  ; the key=value words for --write-deploy-config, each quoted

; ---------------------------------------------------------------- pages and languages

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH  ; no "run now": it would start the app as administrator
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The first is the fallback; otherwise NSIS picks the user's UI language.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

LangString NeedsWindows ${LANG_ENGLISH} "KefuDesk needs 64-bit Windows 10 (version 1809) or later."
LangString NeedsWindows ${LANG_SIMPCHINESE} "客服台需要 64 位 Windows 10（1809 版）或更高版本。"
LangString NeedsAdmin ${LANG_ENGLISH} "Installing KefuDesk for all users needs administrator rights."
LangString NeedsAdmin ${LANG_SIMPCHINESE} "为所有用户安装客服台需要管理员权限。"
LangString StillRunning ${LANG_ENGLISH} "KefuDesk is running on this computer: every signed-in user must quit it first."
LangString StillRunning ${LANG_SIMPCHINESE} "客服台正在本机运行：请所有已登录的用户先退出客服台。"
LangString ThenRetry ${LANG_ENGLISH} "Press Retry when it has quit."
LangString ThenRetry ${LANG_SIMPCHINESE} "退出后请点“重试”。"
LangString WritingConfig ${LANG_ENGLISH} "Writing the deployment configuration:"
LangString WritingConfig ${LANG_SIMPCHINESE} "正在写入部署配置："
LangString ConfigRefused ${LANG_ENGLISH} "KefuDesk is installed, but the deployment configuration was refused (deploy.toml was not changed):"
LangString ConfigRefused ${LANG_SIMPCHINESE} "客服台已安装，但部署配置无效，deploy.toml 未修改："
LangString AppMessages ${LANG_ENGLISH} "en"
LangString AppMessages ${LANG_SIMPCHINESE} "zh"

VIProductVersion "${VIVERSION}"
VIFileVersion "${VIVERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "KefuDesk"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "KefuDesk (客服台) setup"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "${PUBLISHER}"

; ---------------------------------------------------------------- helpers

; Stops with exit code 2: the message goes to the details, to ${LOG} (for silent installs:
; SYSTEM's %TEMP% is C:\Windows\Temp) and, unless silent, to a message box.
!macro Fail MESSAGE
  DetailPrint "${MESSAGE}"
  FileOpen $9 "${LOG}" w
  FileWriteUTF16LE /BOM $9 "${MESSAGE}$\r$\n"
  FileClose $9
  ${IfNot} ${Silent}
    MessageBox MB_OK|MB_ICONSTOP "${MESSAGE}"
  ${EndIf}
  SetErrorLevel 2
  Abort
!macroend

; A running program's .exe cannot be opened for writing: ask to quit it, or fail when silent.
!macro RequireNotRunning
  ${Do}
    ${IfNot} ${FileExists} "$INSTDIR\kefudesk.exe"
      ${Break}
    ${EndIf}
    ClearErrors
    FileOpen $9 "$INSTDIR\kefudesk.exe" a
    ${IfNot} ${Errors}
      FileClose $9
      ${Break}
    ${EndIf}
    ${If} ${Silent}
      !insertmacro Fail "$(StillRunning)"
    ${EndIf}
    ${IfNot} ${Cmd} `MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(StillRunning)$\r$\n$(ThenRetry)" IDRETRY`
      SetErrorLevel 1
      Quit
    ${EndIf}
  ${Loop}
!macroend

; The value of a switch such as /SERVER=… in $Params, ignoring case: up to the next space, or
; within double quotes: /CA="C:\My certs\ca.pem" (as typed in cmd) or "/CA=C:\My certs\ca.pem"
; (as PowerShell passes it). Sets the error flag when the switch is absent. (FileFunc's
; GetOptions ends a value at the next "/", which would cut https://… short.)
Function Switch
  Exch $R0          ; in: "/SERVER=", out: the value
  Push $R1          ; position
  Push $R2          ; scratch
  Push $R3          ; length of " /SERVER=", then the character ending the value
  Push $R4          ; the text searched
  Push $R5          ; ' "/SERVER='
  StrCpy $R4 " $Params"
  StrCpy $R5 ' "$R0'
  StrCpy $R0 " $R0"
  StrLen $R3 $R0
  StrCpy $R1 0
  find:
    StrCpy $R2 $R4 $R3 $R1
    StrCmp $R2 "" absent
    StrCmp $R2 $R0 found  ; StrCmp ignores case
    IntOp $R2 $R3 + 1
    StrCpy $R2 $R4 $R2 $R1
    StrCmp $R2 $R5 quoted
    IntOp $R1 $R1 + 1
    Goto find
  quoted:
    IntOp $R1 $R1 + $R3
    IntOp $R1 $R1 + 1
    StrCpy $R4 $R4 "" $R1
    StrCpy $R3 '"'
    Goto value
  found:
    IntOp $R1 $R1 + $R3
    StrCpy $R4 $R4 "" $R1
    StrCpy $R3 " "
    StrCpy $R2 $R4 1
    StrCmp $R2 '"' 0 value
    StrCpy $R4 $R4 "" 1
    StrCpy $R3 '"'
  value:
    StrCpy $R1 0
  scan:
    StrCpy $R2 $R4 1 $R1
    StrCmp $R2 "" done
    StrCmp $R2 $R3 done
    IntOp $R1 $R1 + 1
    Goto scan
  done:
    StrCpy $R0 $R4 $R1
    ClearErrors
    Goto end
  absent:
    StrCpy $R0 ""
    SetErrors
  end:
  Pop $R5
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Exch $R0
FunctionEnd

; Adds KEY=<the switch's value> to $Config when the switch was given.
!macro Setting SWITCH KEY
  Push "${SWITCH}"
  Call Switch
  Pop $0
  ${IfNot} ${Errors}
    StrCpy $Config `$Config "${KEY}=$0"`
  ${EndIf}
!macroend

; The same for 0|1 switches: 1 → true, 0 → false; anything else goes on for the app to refuse.
!macro BoolSetting SWITCH KEY
  Push "${SWITCH}"
  Call Switch
  Pop $0
  ${IfNot} ${Errors}
    ${If} $0 == "1"
      StrCpy $0 "true"
    ${ElseIf} $0 == "0"
      StrCpy $0 "false"
    ${EndIf}
    StrCpy $Config `$Config "${KEY}=$0"`
  ${EndIf}
!macroend

; ---------------------------------------------------------------- install

Function .onInit
  SetShellVarContext all
  ${IfNot} ${RunningX64}
  ${OrIfNot} ${AtLeastBuild} 17763
    !insertmacro Fail "$(NeedsWindows)"
  ${EndIf}
  UserInfo::GetAccountType
  Pop $0
  ${If} $0 != "admin"
    !insertmacro Fail "$(NeedsAdmin)"
  ${EndIf}
  SetRegView 64
  ; An upgrade goes where the last version went, unless /D says otherwise.
  ReadRegStr $0 HKLM "${UNINSTALL_KEY}" "InstallLocation"
  ${If} $0 != ""
  ${AndIf} $INSTDIR == "$PROGRAMFILES64\KefuDesk"
    StrCpy $INSTDIR $0
  ${EndIf}
  ${GetParameters} $Params
FunctionEnd

Section "KefuDesk" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  !insertmacro RequireNotRunning
  !include "${PAYLOAD_LIST}"  ; the previous version's program files, if any
  File /r "${PAYLOAD}\*"
  File "/oname=kefudesk.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\kefudesk.ico"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0

  CreateShortcut "$SMPROGRAMS\${SHORTCUT}" "$INSTDIR\kefudesk.exe" "" "$INSTDIR\kefudesk.ico" 0
  CreateShortcut "$DESKTOP\${SHORTCUT}" "$INSTDIR\kefudesk.exe" "" "$INSTDIR\kefudesk.ico" 0

  ; %ProgramData%\KefuDesk holds deploy.toml: every user reads it, only administrators and
  ; SYSTEM write it (ProgramData lets users create folders and files, so the folder may predate
  ; us). SIDs, not names: group names are translated on Chinese Windows.
  CreateDirectory "$APPDATA\KefuDesk"
  nsExec::ExecToLog 'icacls "$APPDATA\KefuDesk" /setowner *S-1-5-32-544 /T /C /Q'
  Pop $0
  nsExec::ExecToLog 'icacls "$APPDATA\KefuDesk" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX /C /Q'
  Pop $0
  nsExec::ExecToLog 'icacls "$APPDATA\KefuDesk\*" /reset /T /C /Q'
  Pop $0

  StrCpy $Config ""
  !insertmacro Setting "/SERVER=" "server_url"
  !insertmacro Setting "/CA=" "ca_bundle"
  !insertmacro BoolSetting "/SHARED=" "shared_computer"
  !insertmacro BoolSetting "/AUTOLOGIN=" "auto_login_allowed"
  !insertmacro Setting "/IDLE=" "idle_timeout_min"
  !insertmacro Setting "/LOGLEVEL=" "log_level"
  !insertmacro Setting "/LANG=" "language"
  !insertmacro Setting "/LOCK=" "locked"
  ${If} $Config != ""
    DetailPrint "$(WritingConfig)$Config"
    ; The app checks every value as it reads them and writes the file, or exits 2 saying what
    ; is wrong (in the installer's language). nsExec: no console window; output captured.
    nsExec::ExecToStack '"$INSTDIR\kefudesk.exe" --lang $(AppMessages) --write-deploy-config$Config'
    Pop $0  ; exit code, or "error" when it could not start
    Pop $1  ; what it printed
    ${If} $0 != "0"
      !insertmacro Fail "$(ConfigRefused) (exit $0)$\r$\n$1"
    ${EndIf}
    DetailPrint $1
  ${EndIf}
SectionEnd

; ---------------------------------------------------------------- uninstall

Function un.onInit
  SetShellVarContext all
  SetRegView 64
FunctionEnd

; Removes the program, its shortcuts and registration. Users' own data (%LOCALAPPDATA%\KefuDesk)
; is never touched; %ProgramData%\KefuDesk\deploy.toml stays unless /PURGE is given.
Section "Uninstall"
  !insertmacro RequireNotRunning
  !include "${PAYLOAD_LIST}"
  Delete "$INSTDIR\kefudesk.ico"
  Delete /REBOOTOK "$INSTDIR\uninstall.exe"  ; in use when run with _?= (waits; see the doc)
  RMDir /REBOOTOK "$INSTDIR"                  ; only if empty: never removes what is not ours
  Delete "$SMPROGRAMS\${SHORTCUT}"
  Delete "$DESKTOP\${SHORTCUT}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/PURGE" $1
  ${IfNot} ${Errors}
    RMDir /r "$APPDATA\KefuDesk"
  ${Else}
    RMDir "$APPDATA\KefuDesk"  ; only if empty
  ${EndIf}
SectionEnd
