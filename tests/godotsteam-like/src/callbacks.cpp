// GodotSteam's way of receiving Steam callbacks, reproduced for tests: an object whose members are
// STEAM_CALLBACK objects built by Valve's own header templates (CCallback), so each registers itself with
// SteamAPI_RegisterCallback when the object is constructed, and unregisters when it is destroyed, exactly as
// the members of GodotSteam's `Steam` class do. SteamAPI_RunCallbacks then calls their Run() through the
// vtable Valve's headers lay out; each handler forwards the fields GodotSteam reads to Rust.
//
// Only libsteam_api's SteamAPI_RegisterCallback and SteamAPI_UnregisterCallback are needed: no interface
// accessor (SteamUser() and the like) is called, and nothing from the C++ runtime library is used (see the
// runtime hooks at the end).

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <new>

#include "steam_api.h"

// Implemented in Rust (src/callbacks.rs). `callback_id` is the struct's k_iCallback, so Rust counts what the
// headers say each callback is.
extern "C" {
void godotsteam_like_session_request(int32_t callback_id, uint64_t remote_steam_id);
void godotsteam_like_session_failed(int32_t callback_id, int32_t reason, uint64_t remote_steam_id,
		int32_t connection_state, const char *debug_message, size_t debug_message_capacity);
void godotsteam_like_persona_state_change(int32_t callback_id, uint64_t steam_id, int32_t flags);
}

namespace {

class LikeCallbacks {
public:
	// Members constructed from `this` in the initialiser list, as GodotSteam does: registration happens here.
	LikeCallbacks() :
			callback_persona_state_change(this, &LikeCallbacks::persona_state_change),
			callback_session_request(this, &LikeCallbacks::network_messages_session_request),
			callback_session_failed(this, &LikeCallbacks::network_messages_session_failed) {}

	// Hands `param` to the member registered for `callback_id` the way libsteam_api's dispatcher does: as a
	// CCallbackBase, through Run(void *). Lets a test drive the real STEAM_CALLBACK path without Steam.
	bool dispatch(int callback_id, void *param) {
		CCallbackBase *target = nullptr;
		switch (callback_id) {
			case PersonaStateChange_t::k_iCallback:
				target = as_base(&callback_persona_state_change);
				break;
			case SteamNetworkingMessagesSessionRequest_t::k_iCallback:
				target = as_base(&callback_session_request);
				break;
			case SteamNetworkingMessagesSessionFailed_t::k_iCallback:
				target = as_base(&callback_session_failed);
				break;
			default:
				return false;
		}
		target->Run(param);
		return true;
	}

private:
	// CCallback derives from CCallbackBase non-publicly, so C++ will not convert the pointer; libsteam_api
	// holds exactly this pointer (the one SteamAPI_RegisterCallback received), with CCallbackBase at offset 0.
	template <class Callback>
	static CCallbackBase *as_base(Callback *callback) {
		return reinterpret_cast<CCallbackBase *>(callback);
	}

	// The four-argument form GodotSteam uses: a named CCallback<LikeCallbacks, T> member plus its handler.
	STEAM_CALLBACK(LikeCallbacks, persona_state_change, PersonaStateChange_t, callback_persona_state_change);
	STEAM_CALLBACK(LikeCallbacks, network_messages_session_request, SteamNetworkingMessagesSessionRequest_t,
			callback_session_request);
	STEAM_CALLBACK(LikeCallbacks, network_messages_session_failed, SteamNetworkingMessagesSessionFailed_t,
			callback_session_failed);
};

void LikeCallbacks::persona_state_change(PersonaStateChange_t *data) {
	godotsteam_like_persona_state_change(PersonaStateChange_t::k_iCallback, data->m_ulSteamID, data->m_nChangeFlags);
}

void LikeCallbacks::network_messages_session_request(SteamNetworkingMessagesSessionRequest_t *data) {
	// GodotSteam reports the remote identity as its SteamID64 (0 when the identity is not a Steam ID).
	godotsteam_like_session_request(SteamNetworkingMessagesSessionRequest_t::k_iCallback,
			data->m_identityRemote.GetSteamID64());
}

void LikeCallbacks::network_messages_session_failed(SteamNetworkingMessagesSessionFailed_t *data) {
	const SteamNetConnectionInfo_t &info = data->m_info;
	godotsteam_like_session_failed(SteamNetworkingMessagesSessionFailed_t::k_iCallback, info.m_eEndReason,
			info.m_identityRemote.GetSteamID64(), static_cast<int32_t>(info.m_eState), info.m_szEndDebug,
			sizeof(info.m_szEndDebug));
}

} // namespace

extern "C" {

// Constructs the callbacks object, which registers its three callbacks with Steam. Called when the `Steam`
// singleton is constructed at extension load, before any SteamAPI_Init, as GodotSteam's members are.
// malloc and placement new rather than `new`, so no C++ runtime library is needed.
void *godotsteam_like_callbacks_create() {
	void *memory = malloc(sizeof(LikeCallbacks));
	if (memory == nullptr) {
		return nullptr;
	}
	return new (memory) LikeCallbacks();
}

// Destroys the object: each member's destructor unregisters its callback.
void godotsteam_like_callbacks_destroy(void *callbacks) {
	if (callbacks == nullptr) {
		return;
	}
	LikeCallbacks *object = static_cast<LikeCallbacks *>(callbacks);
	object->~LikeCallbacks();
	free(object);
}

// See LikeCallbacks::dispatch. Returns whether a member takes `callback_id`.
bool godotsteam_like_callbacks_dispatch(void *callbacks, int32_t callback_id, void *param) {
	if (callbacks == nullptr || param == nullptr) {
		return false;
	}
	return static_cast<LikeCallbacks *>(callbacks)->dispatch(callback_id, param);
}

// Runtime hooks the vtables of Valve's callback templates name, defined here so the library needs no C++
// runtime (rustc's symbol list keeps them local to this library). The pure-virtual slot of CCallbackBase is
// never called (every member overrides it), and the deleting destructor never runs (the object is destroyed
// in place above, and Steam never deletes callbacks): both abort if that ever changes.
void __cxa_pure_virtual() {
	abort();
}

} // extern "C"

void operator delete(void *) noexcept {
	abort();
}

void operator delete(void *, size_t) noexcept {
	abort();
}
